/*
 * CUSTOM: the worker runs a user's static executable (put in the guest by the host) as a child, again whenever it
 * exits, until the stop; then kills it. The child inherits everything the worker was given (cgroup, nice, policy,
 * affinity, memory policy). Its schedstat (CPU time, run delay, timeslices: read from /proc while it runs, and from
 * the zombie before reaping it) is added to the worker's; a work unit is a millisecond of the child's CPU time, an
 * iteration one look at it (every 10 ms).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker_rt.h"

uint64_t extra_cpu_ns, extra_run_delay_ns, extra_timeslices;

static int schedstat(pid_t pid, uint64_t v[3]) {
    char path[48], buf[128];
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int) pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    unsigned long long a, b, c;
    if (sscanf(buf, "%llu %llu %llu", &a, &b, &c) != 3) return -1;
    v[0] = a; v[1] = b; v[2] = c;
    return 0;
}

static void custom(struct work_params *wp) {
    uint64_t credited_ms = 0; /* of the child's CPU time, counted as work units so far */
    while (!stopping()) {
        pid_t c = fork();
        if (c < 0) { sleep_ns(10000000); continue; }
        if (c == 0) {
            char *argv[] = { wp->exec_path, NULL };
            char *envp[] = { "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root", NULL };
            execve(wp->exec_path, argv, envp);
            _exit(127);
        }
        uint64_t v[3] = { 0, 0, 0 }, started = now_ns();
        int exited = 0;
        while (!exited) {
            siginfo_t info = { 0 };
            /* WNOWAIT: an exited child stays a zombie, so its schedstat can still be read */
            exited = waitid(P_PID, (id_t) c, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == c;
            if (!exited && stopping()) { kill(c, SIGSTOP); } /* freeze it: the numbers read next are the last */
            schedstat(c, v);
            uint64_t ms = (extra_cpu_ns + v[0]) / 1000000ull;
            checkpoint(ms > credited_ms ? ms - credited_ms : 0);
            if (ms > credited_ms) credited_ms = ms;
            if (!exited && stopping()) { kill(c, SIGKILL); break; }
            if (!exited) sleep_ns(10000000);
        }
        waitpid(c, NULL, 0);
        extra_cpu_ns += v[0];
        extra_run_delay_ns += v[1];
        extra_timeslices += v[2];
        /* a binary that cannot start (or exits at once, again and again) is not a fork storm */
        if (now_ns() - started < 10000000ull) sleep_ns(10000000);
    }
}

int run_custom(struct work_params *wp) {
    if (wp->type != AGENT_WORK_CUSTOM) return 0;
    custom(wp);
    return 1;
}
