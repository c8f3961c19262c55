/*
 * Workers that keep changing where and how they run: CrossAffinityChurn (hops to a CPU of another LLC),
 * PolicyChurn (cycles through the scheduling classes), CgroupChurn (creates a cgroup, moves in, moves out,
 * removes it) and CgroupAttachStorm (moves between sibling cgroups as fast as it can). A cgroup step that fails
 * (no cgroup2, no room) leaves the worker spinning where it is: the work units still count.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker_rt.h"

/* The LLC a CPU belongs to: the first CPU sharing its L3 (the id file is not always there), else its package. */
static int llc_of(int cpu) {
    char path[96];
    int id[1];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cache/index3/shared_cpu_list", cpu);
    if (read_cpu_list(path, id, 1) == 1) return id[0];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
    return read_cpu_list(path, id, 1) == 1 ? id[0] : 0;
}

static void cross_affinity_churn(uint32_t every) {
    cpu_set_t saved;
    sched_getaffinity(0, sizeof saved, &saved);
    int cpus[256], llcs[256], n = allowed_cpus(cpus, 256);
    for (int i = 0; i < n; i++) llcs[i] = llc_of(cpus[i]);
    for (uint64_t i = 0; !stopping(); i++) {
        spin(2000);
        checkpoint(1);
        if (n < 2 || i % every != 0) continue;
        int here = sched_getcpu(), here_llc = -1, pick = -1;
        for (int k = 0; k < n; k++) if (cpus[k] == here) here_llc = llcs[k];
        int start = (int) (next_rand() % (uint64_t) n);
        for (int k = 0; k < n && pick < 0; k++) { /* the first CPU of another LLC from a random start */
            int c = (start + k) % n;
            if (llcs[c] != here_llc) pick = cpus[c];
        }
        if (pick < 0) pick = cpus[start] != here ? cpus[start] : cpus[(start + 1) % n];
        pin_cpu(pick);
    }
    sched_setaffinity(0, sizeof saved, &saved);
}

static void policy_churn(struct work_params *wp, uint32_t every) {
    for (uint64_t i = 0; !stopping(); i++) {
        spin(2000);
        checkpoint(1);
        if (i % every == 0) set_sched_class((uint32_t) ((i / every) % 5), 1); /* normal, batch, idle, FIFO 1, RR 1 */
    }
    struct sched_param sp = { 0 };
    sched_setscheduler(0, wp->policy ? (int) wp->policy - 1 : SCHED_OTHER, &sp);
}

/* This worker's cgroup directory (from /proc/self/cgroup's "0::" line), or -1. */
static int own_cgroup(char *out, size_t size) {
    char buf[4096];
    int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *line = strstr(buf, "0::");
    if (!line) return -1;
    line += 3;
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    if (strcmp(line, "/") == 0) line = "";
    return snprintf(out, size, "/sys/fs/cgroup%s", line) < (int) size ? 0 : -1;
}

static int move_self(const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char num[24];
    int len = snprintf(num, sizeof num, "%d", (int) getpid());
    int rc = write(fd, num, (size_t) len) == len ? 0 : -1;
    close(fd);
    return rc;
}

static void child_path(char *out, size_t size, const char *home, uint32_t k) {
    snprintf(out, size, "%s/jktstr-churn-%d-%u", home, (int) getpid(), k);
}

/* Each cycle: create child k, move in, spin cycle_ms, move home, remove it. */
static void cgroup_churn(uint32_t groups, uint64_t cycle_ns) {
    char home[4000], child[4100];
    int ok = own_cgroup(home, sizeof home) == 0;
    for (uint64_t cycle = 0; !stopping(); cycle++) {
        child_path(child, sizeof child, home, (uint32_t) (cycle % groups));
        int in = ok && mkdir(child, 0755) == 0 && move_self(child) == 0;
        spin_for_ns(cycle_ns);
        if (in) move_self(home);
        if (ok) rmdir(child);
    }
}

/* groups children made once; every iteration moves to the next one. */
static void cgroup_attach_storm(uint32_t groups, uint32_t work) {
    char home[4000], child[4100];
    int ok = own_cgroup(home, sizeof home) == 0;
    for (uint32_t k = 0; ok && k < groups; k++) { child_path(child, sizeof child, home, k); mkdir(child, 0755); }
    for (uint64_t i = 0; !stopping(); i++) {
        if (ok) { child_path(child, sizeof child, home, (uint32_t) (i % groups)); move_self(child); }
        spin(work);
        checkpoint(1);
    }
    if (ok) move_self(home);
    for (uint32_t k = 0; ok && k < groups; k++) { child_path(child, sizeof child, home, k); rmdir(child); }
}

int run_churn(struct work_params *wp) {
    uint32_t p1 = wp->p1, p2 = wp->p2;
    switch (wp->type) {
    case AGENT_WORK_CROSS_AFFINITY_CHURN: cross_affinity_churn(p1 ? p1 : 8); return 1;
    case AGENT_WORK_POLICY_CHURN: policy_churn(wp, p1 ? p1 : 64); return 1;
    case AGENT_WORK_CGROUP_CHURN: cgroup_churn(p1 ? (p1 > 64 ? 64 : p1) : 4, (uint64_t) (p2 ? p2 : 10) * 1000000ull); return 1;
    case AGENT_WORK_CGROUP_ATTACH_STORM: cgroup_attach_storm(p1 ? (p1 > 64 ? 64 : p1) : 2, p2 ? p2 : 2000); return 1;
    default: return 0;
    }
}
