/*
 * Worker side of the guest workloads (see workers.h). Each worker is a forked process: it waits on
 * a futex until the agent releases its group (after moving it into its cgroup), runs its work type
 * until the group's stop flag is set and leaves its telemetry in the shared slot.
 *
 * Gaps: every iteration ends with a checkpoint; the largest distance between two checkpoints is the
 * longest the worker was kept from running. Deliberate blocking (sleeps, waiting for a partner)
 * restarts the measurement, so only involuntary stalls count.
 */
#define _GNU_SOURCE
#include "workers.h"
#include "worker_rt.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAKE_SAMPLES 4096u

struct slot *me;
struct group_shm *group;
static uint64_t start_ns, last_ns;
static int last_cpu = -1;
static uint64_t samples[WAKE_SAMPLES];
static uint64_t sample_seen;
static uint64_t rng = 88172645463325252ull;

uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

uint64_t next_rand(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return rng;
}

long futex(volatile uint32_t *addr, int op, uint32_t val, const struct timespec *ts) {
    return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static uint64_t phase_end; /* Sequence: when the current phase ends (0 = not in a sequence) */


int stopping(void) {
    if (__atomic_load_n(&group->stop, __ATOMIC_ACQUIRE) != 0) return 1;
    return phase_end && now_ns() >= phase_end;
}

int phase_type_ok(uint32_t type) {
    switch (type) {
    case AGENT_WORK_SPIN_WAIT: case AGENT_WORK_YIELD_HEAVY: case AGENT_WORK_MIXED: case AGENT_WORK_BURSTY:
    case AGENT_WORK_TIMER_LATENCY: case AGENT_WORK_IO_SYNC: case AGENT_WORK_CACHE_PRESSURE: case AGENT_WORK_FORK_EXIT:
    case AGENT_WORK_AFFINITY_CHURN: case AGENT_WORK_NICE_SWEEP: case AGENT_WORK_IDLE_CHURN: case AGENT_WORK_ALU_HOT:
    case AGENT_WORK_IPC_VARIANCE: case AGENT_WORK_CACHE_YIELD: case AGENT_WORK_CROSS_AFFINITY_CHURN:
    case AGENT_WORK_PAGE_FAULT_CHURN: case AGENT_WORK_IRQ_WAKE:
        return 1;
    default:
        return 0;
    }
}

uint32_t chain_size(uint32_t type, uint32_t p2, uint32_t count) {
    switch (type) {
    case AGENT_WORK_PIPE_IO: case AGENT_WORK_FUTEX_PING_PONG: case AGENT_WORK_CACHE_PIPE:
    case AGENT_WORK_ASYMMETRIC_WAKER: case AGENT_WORK_SIGNAL_STORM: case AGENT_WORK_NET_TRAFFIC:
        return 2;
    case AGENT_WORK_WAKE_CHAIN: {
        uint32_t depth = p2 & 0xFFFFu;
        return depth == 0 || depth > count ? count : depth;
    }
    default:
        return 0;
    }
}

static void note_cpu(void) {
    int cpu = sched_getcpu();
    if (cpu < 0 || cpu >= (int) (CPU_MASK_WORDS * 64)) return;
    if (last_cpu >= 0 && cpu != last_cpu) me->migrations++;
    last_cpu = cpu;
    uint64_t bit = 1ull << (cpu % 64);
    me->cpus[cpu / 64] |= bit;
    /* the agent takes (exchanges with 0) these between the holds of a scenario: set atomically, only when missing */
    if (!(__atomic_load_n(&me->cpus_since[cpu / 64], __ATOMIC_RELAXED) & bit))
        __atomic_fetch_or(&me->cpus_since[cpu / 64], bit, __ATOMIC_RELAXED);
}

/* End of one iteration: counts it, tracks the CPU and the largest gap since the previous checkpoint. */
void checkpoint(uint64_t units) {
    uint64_t t = now_ns();
    me->iterations++;
    me->work_units += units;
    note_cpu();
    if (last_ns && t - last_ns > me->max_gap_ns) {
        me->max_gap_ns = t - last_ns;
        me->max_gap_at_ns = t - start_ns;
        me->max_gap_cpu = (uint32_t) (last_cpu < 0 ? 0 : last_cpu);
    }
    last_ns = t;
    me->last_ns = t;
}

/* After deliberate blocking: the time spent blocked is not a gap. */
void restart_gap(void) { last_ns = now_ns(); me->last_ns = last_ns; }

void wake_sample(uint64_t ns) {
    /* Reservoir sampling keeps the percentile estimate unbiased however long the run. */
    if (sample_seen < WAKE_SAMPLES) samples[sample_seen] = ns;
    else {
        uint64_t j = next_rand() % (sample_seen + 1);
        if (j < WAKE_SAMPLES) samples[j] = ns;
    }
    sample_seen++;
    if (ns > me->wake_max_ns) me->wake_max_ns = ns;
}

void spin(uint32_t loops) {
    volatile uint64_t x = 0;
    for (uint32_t i = 0; i < loops; i++) x += i * 2654435761u;
}

void spin_for_ns(uint64_t ns) {
    uint64_t end = now_ns() + ns;
    while (now_ns() < end && !stopping()) { spin(2000); checkpoint(1); }
}

void sleep_ns(uint64_t ns) {
    struct timespec ts = { (time_t) (ns / 1000000000ull), (long) (ns % 1000000000ull) };
    nanosleep(&ts, NULL);
    restart_gap();
}

uint64_t sleep_until(uint64_t deadline_ns) {
    struct timespec ts = { (time_t) (deadline_ns / 1000000000ull), (long) (deadline_ns % 1000000000ull) };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stopping()) {}
    uint64_t t = now_ns();
    restart_gap();
    return t > deadline_ns ? t - deadline_ns : 0;
}

int futex_wait_while(volatile uint32_t *word, uint32_t val) {
    struct timespec wait = { 0, 50 * 1000000L };
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == val) {
        if (stopping()) return 0;
        futex(word, FUTEX_WAIT, val, &wait);
    }
    restart_gap();
    return 1;
}

void futex_wake(volatile uint32_t *word, int n) { futex(word, FUTEX_WAKE, (uint32_t) n, NULL); }

int set_sched_class(uint32_t cls, int rt_prio) {
    static const int policies[] = { SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_FIFO, SCHED_RR };
    if (cls >= sizeof policies / sizeof policies[0]) return -1;
    struct sched_param sp = { .sched_priority = cls >= 3 ? rt_prio : 0 };
    return sched_setscheduler(0, policies[cls], &sp);
}

static void run_work(struct work_params *wp) {
    uint32_t p1 = wp->p1, p2 = wp->p2;
    switch (wp->type) {
    case AGENT_WORK_SPIN_WAIT:
        while (!stopping()) { spin(2000); checkpoint(1); }
        break;
    case AGENT_WORK_YIELD_HEAVY:
        while (!stopping()) { spin(p1 ? p1 : 200); sched_yield(); checkpoint(1); }
        break;
    case AGENT_WORK_MIXED: /* spin, yield, short sleep, in turn */
        for (uint64_t i = 0; !stopping(); i++) {
            spin(2000);
            checkpoint(1);
            if (i % 16 == 7) sched_yield();
            if (i % 64 == 63) sleep_ns(200000);
        }
        break;
    case AGENT_WORK_BURSTY: /* p1 ms busy, p2 ms asleep */
        while (!stopping()) {
            spin_for_ns((uint64_t) (p1 ? p1 : 20) * 1000000ull);
            if (!stopping()) sleep_ns((uint64_t) (p2 ? p2 : 20) * 1000000ull);
        }
        break;
    case AGENT_WORK_TIMER_LATENCY: { /* absolute deadlines every p1 us; the wake latency is how late each wake-up is */
        uint64_t period = (uint64_t) (p1 ? p1 : 1000) * 1000ull, deadline = now_ns() + period;
        while (!stopping()) {
            wake_sample(sleep_until(deadline));
            checkpoint(1);
            deadline += period;
            uint64_t t = now_ns();
            if (deadline < t) deadline = t + period - (t - deadline) % period; /* missed periods are skipped, not queued */
        }
        break;
    }
    case AGENT_WORK_IO_SYNC: { /* write p1 KiB and fsync, again and again */
        char path[64];
        snprintf(path, sizeof path, "/tmp/jktstr-iosync-%d", (int) getpid());
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        static char buf[65536];
        size_t n = (size_t) (p1 ? p1 : 4) * 1024u;
        if (n > sizeof buf) n = sizeof buf;
        while (!stopping() && fd >= 0) {
            if (pwrite(fd, buf, n, 0) < 0 || fsync(fd) < 0) break;
            restart_gap();
            checkpoint(1);
        }
        if (fd >= 0) close(fd);
        unlink(path);
        while (!stopping()) sleep_ns(10000000); /* a failed file system leaves an idle worker, not a dead one */
        break;
    }
    case AGENT_WORK_CACHE_PRESSURE: { /* strided writes over p1 KiB (default 4 MiB) */
        size_t size = (size_t) (p1 ? p1 : 4096) * 1024u;
        volatile uint8_t *buf = malloc(size);
        if (!buf) { while (!stopping()) { spin(2000); checkpoint(1); } break; }
        size_t off = 0;
        while (!stopping()) {
            for (int i = 0; i < 1024; i++) { buf[off] += 1; off = (off + 4160) % size; }
            checkpoint(1);
        }
        free((void *) buf);
        break;
    }
    case AGENT_WORK_FORK_EXIT:
        while (!stopping()) {
            pid_t c = fork();
            if (c == 0) _exit(0);
            if (c > 0) waitpid(c, NULL, 0);
            restart_gap();
            checkpoint(1);
        }
        break;
    case AGENT_WORK_AFFINITY_CHURN: { /* hop to a random allowed CPU every p1 iterations */
        cpu_set_t allowed, one;
        sched_getaffinity(0, sizeof allowed, &allowed);
        int n = CPU_COUNT(&allowed);
        uint32_t every = p1 ? p1 : 8;
        for (uint64_t i = 0; !stopping(); i++) {
            spin(2000);
            checkpoint(1);
            if (n > 1 && i % every == 0) {
                int pick = (int) (next_rand() % (uint64_t) n), seen = 0;
                for (int c = 0; c < CPU_SETSIZE; c++) {
                    if (!CPU_ISSET(c, &allowed)) continue;
                    if (seen++ == pick) { CPU_ZERO(&one); CPU_SET(c, &one); sched_setaffinity(0, sizeof one, &one); break; }
                }
            }
        }
        sched_setaffinity(0, sizeof allowed, &allowed);
        break;
    }
    case AGENT_WORK_NICE_SWEEP: { /* nice -20..19 and back, one step every p1 iterations */
        /* RLIMIT_NICE 40 lets the worker raise its priority back to -20 even without CAP_SYS_NICE */
        struct rlimit rl = { 40, 40 };
        setrlimit(RLIMIT_NICE, &rl);
        uint32_t every = p1 ? p1 : 64;
        for (uint64_t i = 0; !stopping(); i++) {
            spin(2000);
            checkpoint(1);
            if (i % every == 0) {
                uint64_t step = (i / every) % 78; /* 0..39 up, 40..77 down */
                setpriority(PRIO_PROCESS, 0, -20 + (int) (step < 40 ? step : 78 - step));
            }
        }
        break;
    }
    case AGENT_WORK_SEQUENCE: /* each phase for its time, in turn, until stopped */
        while (!__atomic_load_n(&group->stop, __ATOMIC_ACQUIRE) && wp->nphases > 0) {
            for (uint32_t i = 0; i < wp->nphases && !__atomic_load_n(&group->stop, __ATOMIC_ACQUIRE); i++) {
                struct work_params phase = *wp;
                phase.type = wp->phases[i].type;
                phase.p1 = wp->phases[i].p1;
                phase.p2 = wp->phases[i].p2;
                phase.nphases = 0;
                phase_end = now_ns() + (uint64_t) wp->phases[i].ms * 1000000ull;
                run_work(&phase);
                if (phase.type == AGENT_WORK_NICE_SWEEP) setpriority(PRIO_PROCESS, 0, wp->nice);
                restart_gap(); /* switching phases is not a stall */
            }
        }
        phase_end = 0;
        break;
    default:
        if (!run_chain(wp) && !run_compute(wp) && !run_idle(wp) && !run_fanout(wp) && !run_contention(wp) && !run_rt(wp)
                && !run_churn(wp) && !run_memory(wp) && !run_net(wp) && !run_io(wp) && !run_custom(wp)) {
            while (!stopping()) sleep_ns(10000000); /* an unknown type (the agent checks them): idle, never crash */
        }
        break;
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

static void finish(void) {
    uint64_t end = now_ns();
    me->wall_ns = end - start_ns;
    struct timespec cpu;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    me->cpu_ns = (uint64_t) cpu.tv_sec * 1000000000ull + (uint64_t) cpu.tv_nsec + extra_cpu_ns;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        me->voluntary_switches = (uint64_t) ru.ru_nvcsw;
        me->involuntary_switches = (uint64_t) ru.ru_nivcsw;
    }
    /* schedstat: time on CPU, time waiting on a runqueue, timeslices (needs CONFIG_SCHED_INFO). */
    me->run_delay_ns = UINT64_MAX;
    char buf[128];
    int fd = open("/proc/self/schedstat", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        unsigned long long run, delay, slices;
        if (n > 0) {
            buf[n] = 0;
            if (sscanf(buf, "%llu %llu %llu", &run, &delay, &slices) == 3) {
                me->run_delay_ns = delay + extra_run_delay_ns;
                me->timeslices = slices + extra_timeslices;
            }
        }
    }
    uint32_t n = (uint32_t) (sample_seen < WAKE_SAMPLES ? sample_seen : WAKE_SAMPLES);
    me->wake_count = (uint32_t) (sample_seen > UINT32_MAX ? UINT32_MAX : sample_seen);
    if (n > 0) {
        qsort(samples, n, sizeof samples[0], cmp_u64);
        me->wake_p50_ns = samples[(n - 1) / 2];
        me->wake_p99_ns = samples[(uint32_t) (((uint64_t) n * 99 + 99) / 100) - 1];
    }
    __atomic_store_n(&me->state, AGENT_WORKER_FINISHED, __ATOMIC_RELEASE);
}

/*
 * The memory policy, set before the worker touches its own memory (everything it allocates or first writes
 * afterwards follows it). Static nodes: the nodes named are the nodes used, not remapped when the cpuset's mems
 * change. The agent waits for mpol_state and fails the spawn with mpol_errno if this failed.
 */
static void apply_mempolicy(const struct work_params *wp) {
    int mode = (int) wp->mpol_mode - 1;
    long rc;
    if (mode == AGENT_MPOL_DEFAULT || mode == AGENT_MPOL_LOCAL) {
        rc = syscall(SYS_set_mempolicy, mode, NULL, 0UL);
    } else {
        unsigned long nodes = (unsigned long) wp->mpol_nodes;
        /* maxnode counts one more than the bits the kernel reads (it decrements it first) */
        rc = syscall(SYS_set_mempolicy, mode | (1 << 15) /* MPOL_F_STATIC_NODES */, &nodes, 65UL);
    }
    me->mpol_errno = rc == 0 ? 0 : errno;
    __atomic_store_n(&me->mpol_state, rc == 0 ? 1 : 2, __ATOMIC_RELEASE);
}

/*
 * The start line: every worker of the group waits here, after its release, until all have arrived, so no work type
 * meets a partner that is still starting (one that has not yet ignored SIGUSR1, not yet opened its end of a pipe, not
 * yet joined the futex it will be woken on). Bounded: a worker the scheduler does not run for a second (a starving
 * policy, an overloaded CPU) does not hold the others back forever; work types stay safe against a late partner.
 */
static void start_line(struct group_shm *shm, uint32_t count) {
    uint32_t here = __atomic_add_fetch(&shm->arrived, 1, __ATOMIC_ACQ_REL);
    if (here >= count) {
        futex_wake(&shm->arrived, INT32_MAX);
        return;
    }
    uint64_t give_up = now_ns() + 1000000000ull;
    struct timespec wait = { 0, 50 * 1000000L };
    for (;;) {
        uint32_t seen = __atomic_load_n(&shm->arrived, __ATOMIC_ACQUIRE);
        if (seen >= count || stopping() || now_ns() >= give_up) return;
        futex(&shm->arrived, FUTEX_WAIT, seen, &wait);
    }
}

void worker_main(struct group_shm *shm, struct work_params *wp) {
    group = shm;
    me = &shm->w[wp->index];
    prctl(PR_SET_PDEATHSIG, SIGKILL);

    /* Only the ring pipes stay open: other fds (the control channel, other groups' pipes) are not ours. */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) { dup2(null, 0); dup2(null, 1); }
    for (int fd = 3; fd < 1024; fd++) {
        int keep = fd == wp->ring_in || fd == wp->ring_out;
        for (uint32_t k = 0; k < wp->nfds && !keep; k++) keep = fd == wp->fds[k];
        if (!keep) close(fd);
    }
    signal(SIGPIPE, SIG_IGN); /* a partner that stopped first closes its pipe end */
    signal(SIGUSR1, SIG_IGN); /* SignalStorm: a partner's signal before its handler is set must not kill it */
    rng ^= (uint64_t) getpid() * 0x9E3779B97F4A7C15ull;
    if (wp->nice) setpriority(PRIO_PROCESS, 0, wp->nice);
    if (wp->policy) {
        struct sched_param sp = { 0 };
        sched_setscheduler(0, (int) wp->policy - 1, &sp);
    }
    if (wp->has_affinity) sched_setaffinity(0, sizeof wp->affinity, (cpu_set_t *) wp->affinity);
    if (wp->mpol_mode) apply_mempolicy(wp);
    /* Phase two: wait for the agent's release (it has moved us into the cgroup by then). */
    struct timespec wait = { 0, 100 * 1000000L };
    while (!__atomic_load_n(&shm->released, __ATOMIC_ACQUIRE) && !stopping()) {
        futex(&shm->released, FUTEX_WAIT, 0, &wait);
    }
    __atomic_store_n(&me->state, AGENT_WORKER_RUNNING, __ATOMIC_RELEASE);
    start_line(shm, wp->count);
    start_ns = now_ns();
    if (!stopping()) run_work(wp);
    finish();
    _exit(0);
}
