/*
 * The worker requests, the agent's side of the workers (the worker side is workers.c): WORKERS_SPAWN forks a
 * group and moves it into its cgroup, WORKERS_START releases it, WORKERS_PEEK and WORKERS_CPUS read the shared
 * slots while it runs, WORKERS_STOP collects the telemetry and ends it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "agent_protocol.h"
#include "frames.h"
#include "rpc.h"
#include "worker_groups.h"
#include "workers.h"

/*
 * WORKERS_SPAWN: phase one of the two-phase start. Forks the workers (they wait on a futex), moves each
 * into the cgroup, and answers with the group id and pids. Nothing runs the workload until WORKERS_START.
 */
void do_workers_spawn(uint32_t id, struct in *c) {
    char *cgroup = get_str(c);
    struct work_params wp = { 0 };
    wp.count = get_u32(c);
    wp.type = get_u32(c);
    wp.p1 = get_u32(c);
    wp.p2 = get_u32(c);
    wp.nice = (int32_t) get_u32(c);
    wp.policy = get_u32(c);
    uint32_t mask_len = 0;
    const uint8_t *mask = get_bytes(c, &mask_len);
    if (!c->bad && c->off < c->len) { /* optional: the phases of a Sequence */
        wp.nphases = get_u32(c);
        if (wp.nphases > AGENT_MAX_PHASES) { send_error(id, EINVAL, "%u phases exceed the maximum of %u", wp.nphases, AGENT_MAX_PHASES); goto out; }
        for (uint32_t i = 0; i < wp.nphases; i++) {
            wp.phases[i].type = get_u32(c);
            wp.phases[i].p1 = get_u32(c);
            wp.phases[i].p2 = get_u32(c);
            wp.phases[i].ms = get_u32(c);
        }
    }
    if (!c->bad && c->off < c->len) { /* optional: the memory policy (mode + 1, node mask) */
        wp.mpol_mode = get_u32(c);
        wp.mpol_nodes = get_u64(c);
    }
    char *exec_path = NULL;
    if (!c->bad && c->off < c->len) exec_path = get_str(c); /* optional: CUSTOM's executable */
    if (exec_path) {
        size_t n = strlen(exec_path);
        if (n == 0 || n >= sizeof wp.exec_path || exec_path[0] != '/') {
            send_error(id, EINVAL, "executable path must be absolute and under %u bytes", AGENT_MAX_EXEC_PATH);
            free(exec_path);
            goto out;
        }
        memcpy(wp.exec_path, exec_path, n + 1);
        free(exec_path);
    }
    if (c->bad || !cgroup || c->off != c->len) { send_error(id, EINVAL, "malformed WORKERS_SPAWN request"); goto out; }
    if (wp.count == 0 || wp.count > AGENT_MAX_WORKERS) { send_error(id, EINVAL, "worker count %u outside 1..%u", wp.count, AGENT_MAX_WORKERS); goto out; }
    if (wp.type == 0 || wp.type > AGENT_WORK_MAX) { send_error(id, EINVAL, "unknown work type %u", wp.type); goto out; }
    if ((wp.type == AGENT_WORK_CUSTOM) != (wp.exec_path[0] != 0)) {
        send_error(id, EINVAL, "an executable path goes with CUSTOM and only with it"); goto out;
    }
    if (wp.type == AGENT_WORK_SEQUENCE && wp.nphases == 0) { send_error(id, EINVAL, "a Sequence needs at least one phase"); goto out; }
    for (uint32_t i = 0; i < wp.nphases; i++) {
        if (!phase_type_ok(wp.phases[i].type) || wp.phases[i].ms == 0) {
            send_error(id, EINVAL, "phase %u: work type %u cannot be a phase, or its time is 0", i, wp.phases[i].type); goto out;
        }
    }
    if (wp.nice < -20 || wp.nice > 19) { send_error(id, EINVAL, "nice %d outside -20..19", wp.nice); goto out; }
    if (wp.mpol_mode > AGENT_MPOL_MAX + 1u) { send_error(id, EINVAL, "unknown memory policy mode %u", wp.mpol_mode - 1u); goto out; }
    if (wp.mpol_mode) {
        int m = (int) wp.mpol_mode - 1, needs_nodes = m == AGENT_MPOL_BIND || m == AGENT_MPOL_INTERLEAVE || m == AGENT_MPOL_PREFERRED
                || m == AGENT_MPOL_PREFERRED_MANY || m == AGENT_MPOL_WEIGHTED_INTERLEAVE;
        if (needs_nodes != (wp.mpol_nodes != 0)) {
            send_error(id, EINVAL, "memory policy mode %d %s a node mask", m, needs_nodes ? "needs" : "takes no"); goto out;
        }
    }
    if (mask_len > sizeof wp.affinity) { send_error(id, EINVAL, "affinity mask of %u bytes exceeds %zu", mask_len, sizeof wp.affinity); goto out; }
    if (mask_len) { wp.has_affinity = 1; memcpy(wp.affinity, mask, mask_len); }
    char procs[4200];
    if (cgroup[0]) {
        if (snprintf(procs, sizeof procs, "%s/cgroup.procs", cgroup) >= (int) sizeof procs) {
            send_error(id, ENAMETOOLONG, "cgroup path too long"); goto out;
        }
        struct stat st;
        if (stat(cgroup, &st) != 0) { send_error(id, errno, "cgroup %s: %s", cgroup, strerror(errno)); goto out; }
    }
    struct group *g = free_group();
    if (!g) { send_error(id, EBUSY, "all %u worker groups are in use (stop some)", AGENT_MAX_GROUPS); goto out; }
    g->shm_size = sizeof(struct group_shm) + wp.count * sizeof(struct slot);
    void *m = mmap(NULL, g->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) { send_error(id, errno, "mmap: %s", strerror(errno)); g->shm = NULL; release_group(g); goto out; }
    g->shm = m;
    g->count = wp.count;
    g->id = new_group_id();
    /* Chains: pairs (2k, 2k+1) for PipeIo and the other paired types, WakeChain's chains of its depth; the pipe
     * types get a pipe per worker, the futex types pass the token through the slots. */
    uint32_t chain = chain_size(wp.type, wp.p2, wp.count);
    int ring = chain && (wp.type == AGENT_WORK_PIPE_IO || wp.type == AGENT_WORK_CACHE_PIPE
            || (wp.type == AGENT_WORK_WAKE_CHAIN && !(wp.p2 & AGENT_WAKE_CHAIN_FUTEX)));
    if (wp.type == AGENT_WORK_EPOLL_STORM) { /* one eventfd per worker, open in every worker of the group */
        for (uint32_t i = 0; i < wp.count; i++) {
            int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
            if (fd < 0) {
                int err = errno;
                for (uint32_t k = 0; k < i; k++) close(wp.fds[k]);
                send_error(id, err, "eventfd: %s", strerror(err));
                release_group(g);
                goto out;
            }
            wp.fds[i] = fd;
        }
        wp.nfds = wp.count;
    }
    int (*pipes)[2] = ring ? calloc(wp.count, sizeof *pipes) : NULL;
    if (ring && !pipes) { send_error(id, ENOMEM, "out of memory"); for (uint32_t k = 0; k < wp.nfds; k++) close(wp.fds[k]); release_group(g); goto out; }
    for (uint32_t i = 0; ring && i < wp.count; i++) {
        if (pipe2(pipes[i], O_CLOEXEC) != 0) {
            int err = errno;
            for (uint32_t k = 0; k < i; k++) { close(pipes[k][0]); close(pipes[k][1]); }
            free(pipes);
            send_error(id, err, "pipe: %s", strerror(err));
            release_group(g);
            goto out;
        }
    }
    int failed_errno = 0;
    char failure[256] = "";
    for (uint32_t i = 0; i < wp.count; i++) {
        wp.index = i;
        wp.ring_in = wp.ring_out = -1;
        wp.ring_first = 0;
        wp.ring_base = i;
        wp.ring_size = 1;
        if (chain) {
            uint32_t base = i - i % chain, size = base + chain <= wp.count ? chain : wp.count - base;
            wp.ring_base = base;
            wp.ring_size = size;
            wp.ring_first = i == base;
            if (ring) {
                wp.ring_in = pipes[i][0];
                wp.ring_out = pipes[base + (i - base + 1) % size][1];
            }
        }
        pid_t pid = fork();
        if (pid < 0) { failed_errno = errno; snprintf(failure, sizeof failure, "fork: %s", strerror(errno)); break; }
        if (pid == 0) {
            reset_child_signals();
            worker_main(g->shm, &wp);
        }
        g->pids[i] = pid;
        g->shm->w[i].pid = pid;
        if (cgroup[0] && write_pid(procs, pid) != 0) {
            failed_errno = errno;
            snprintf(failure, sizeof failure, "moving worker %d into %.200s: %s", (int) pid, procs, strerror(errno));
            break;
        }
    }
    for (uint32_t i = 0; ring && i < wp.count; i++) { close(pipes[i][0]); close(pipes[i][1]); }
    free(pipes);
    for (uint32_t k = 0; k < wp.nfds; k++) close(wp.fds[k]);
    if (!failed_errno && wp.mpol_mode) await_mempolicy(g, &failed_errno, failure, sizeof failure);
    if (failed_errno) {
        __atomic_store_n(&g->shm->stop, 1, __ATOMIC_RELEASE);
        kill_group(g);
        release_group(g);
        send_error(id, failed_errno, "%s", failure);
        goto out;
    }
    struct out o = payload();
    put_u32(&o, g->id);
    put_u32(&o, g->count);
    for (uint32_t i = 0; i < g->count; i++) put_u32(&o, (uint32_t) g->pids[i]);
    send_frame(id, AGENT_MSG_OK, &o);
out:
    free(cgroup);
}

/* WORKERS_START: phase two, releases every worker of the group at once. */
void do_workers_start(uint32_t id, struct in *c) {
    uint32_t gid = get_u32(c);
    if (c->bad || c->off != c->len) { send_error(id, EINVAL, "malformed WORKERS_START request"); return; }
    struct group *g = find_group(gid);
    if (!g) { send_error(id, ENOENT, "no worker group %u", gid); return; }
    __atomic_store_n(&g->shm->released, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &g->shm->released, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
    send_ok_empty(id);
}

static void put_slot(struct out *o, const struct slot *s, int finished) {
    put_u32(o, (uint32_t) s->pid);
    put_u8(o, (uint8_t) finished);
    put_u64(o, s->work_units);
    put_u64(o, s->iterations);
    put_u64(o, s->cpu_ns);
    put_u64(o, s->wall_ns);
    put_u64(o, s->run_delay_ns);
    put_u64(o, s->timeslices);
    put_u64(o, s->migrations);
    for (uint32_t k = 0; k < CPU_MASK_WORDS; k++) put_u64(o, s->cpus[k]);
    put_u64(o, s->max_gap_ns);
    put_u64(o, s->max_gap_at_ns);
    put_u32(o, s->max_gap_cpu);
    put_u32(o, s->wake_count);
    put_u64(o, s->wake_p50_ns);
    put_u64(o, s->wake_p99_ns);
    put_u64(o, s->wake_max_ns);
    put_u64(o, s->voluntary_switches);
    put_u64(o, s->involuntary_switches);
}

/*
 * WORKERS_STOP: sets the stop flag, gives the workers grace_ms to write their telemetry, SIGKILLs the rest
 * and answers with one record per worker. The group is gone afterwards.
 */
void do_workers_stop(uint32_t id, struct in *c) {
    uint32_t gid = get_u32(c);
    uint32_t grace_ms = get_u32(c);
    if (c->bad || c->off != c->len) { send_error(id, EINVAL, "malformed WORKERS_STOP request"); return; }
    struct group *g = find_group(gid);
    if (!g) { send_error(id, ENOENT, "no worker group %u", gid); return; }
    __atomic_store_n(&g->shm->stop, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&g->shm->released, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &g->shm->released, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
    if (grace_ms > AGENT_MAX_STOP_GRACE_MS) grace_ms = AGENT_MAX_STOP_GRACE_MS;
    uint64_t deadline = monotonic_ms() + grace_ms;
    for (;;) {
        uint32_t done = 0;
        for (uint32_t i = 0; i < g->count; i++) {
            if (__atomic_load_n(&g->shm->w[i].state, __ATOMIC_ACQUIRE) == AGENT_WORKER_FINISHED) done++;
            /* a worker that died without finishing (killed in the guest) will never report */
            else if (kill(g->pids[i], 0) != 0 || waitpid(g->pids[i], NULL, WNOHANG) == g->pids[i]) done++;
        }
        if (done == g->count || monotonic_ms() >= deadline) break;
        usleep(5000);
    }
    int finished[AGENT_MAX_WORKERS];
    for (uint32_t i = 0; i < g->count; i++) finished[i] = __atomic_load_n(&g->shm->w[i].state, __ATOMIC_ACQUIRE) == AGENT_WORKER_FINISHED;
    kill_group(g);
    struct out o = payload();
    put_u32(&o, g->count);
    for (uint32_t i = 0; i < g->count; i++) put_slot(&o, &g->shm->w[i], finished[i]);
    send_frame(id, AGENT_MSG_OK, &o);
    release_group(g);
}

/*
 * A request that is a u32 count and that many group ids (WORKERS_PEEK, WORKERS_CPUS): fills gs and returns the
 * count, or sends the error and returns 0.
 */
static uint32_t read_group_ids(uint32_t id, struct in *c, const char *request, struct group **gs) {
    uint32_t n = get_u32(c);
    if (c->bad || n == 0 || n > AGENT_MAX_GROUPS || (size_t) n * 4 != c->len - c->off) {
        send_error(id, EINVAL, "malformed %s request (1..%u group ids)", request, AGENT_MAX_GROUPS); return 0;
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t gid = get_u32(c);
        if (!(gs[k] = find_group(gid))) { send_error(id, ENOENT, "no worker group %u", gid); return 0; }
    }
    return n;
}

/*
 * WORKERS_PEEK: the progress of running groups without stopping them. Per worker: its state, work units and
 * iterations so far, its largest gap so far and the gap now (time since its last checkpoint while running).
 * The slots are written by the workers as they go: each value is read once, atomically (aligned u64).
 */
void do_workers_peek(uint32_t id, struct in *c) {
    struct group *gs[AGENT_MAX_GROUPS];
    uint32_t n = read_group_ids(id, c, "WORKERS_PEEK", gs);
    if (n == 0) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
    struct out o = payload();
    put_u64(&o, now);
    put_u32(&o, n);
    for (uint32_t k = 0; k < n; k++) {
        struct group *g = gs[k];
        put_u32(&o, g->id);
        put_u32(&o, g->count);
        for (uint32_t i = 0; i < g->count; i++) {
            const struct slot *s = &g->shm->w[i];
            int32_t state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
            uint64_t last = __atomic_load_n(&s->last_ns, __ATOMIC_RELAXED);
            put_u32(&o, (uint32_t) s->pid);
            put_u8(&o, (uint8_t) state);
            put_u64(&o, __atomic_load_n(&s->work_units, __ATOMIC_RELAXED));
            put_u64(&o, __atomic_load_n(&s->iterations, __ATOMIC_RELAXED));
            put_u64(&o, __atomic_load_n(&s->max_gap_ns, __ATOMIC_RELAXED));
            put_u64(&o, state == AGENT_WORKER_RUNNING && last && now > last ? now - last : 0);
        }
    }
    send_frame(id, AGENT_MSG_OK, &o);
}

/*
 * WORKERS_CPUS: per worker of running groups, the CPUs it was seen on since the previous WORKERS_CPUS (or its start),
 * and those are forgotten: a host that takes them when a cpuset starts to apply and again when it stops gets the CPUs
 * each worker used while it applied. Each mask word is exchanged with 0 atomically, so no CPU is lost between takes.
 */
void do_workers_cpus(uint32_t id, struct in *c) {
    struct group *gs[AGENT_MAX_GROUPS];
    uint32_t n = read_group_ids(id, c, "WORKERS_CPUS", gs);
    if (n == 0) return;
    struct out o = payload();
    put_u32(&o, n);
    for (uint32_t k = 0; k < n; k++) {
        struct group *g = gs[k];
        put_u32(&o, g->id);
        put_u32(&o, g->count);
        for (uint32_t i = 0; i < g->count; i++) {
            struct slot *s = &g->shm->w[i];
            put_u32(&o, (uint32_t) s->pid);
            for (uint32_t w = 0; w < CPU_MASK_WORDS; w++) put_u64(&o, __atomic_exchange_n(&s->cpus_since[w], 0, __ATOMIC_RELAXED));
        }
    }
    send_frame(id, AGENT_MSG_OK, &o);
}
