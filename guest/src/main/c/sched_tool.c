/*
 * "/init sched-setattr PRIORITY RUNTIME_NS DEADLINE_NS PERIOD_NS POLICY PID...": the agent binary doubles as a tiny
 * sched_setattr(2) tool for the host's scenario runner (busybox's chrt has no SCHED_DEADLINE). It sets the policy on
 * each PID and prints one line per PID: "PID ok", or "PID ERRNAME ERRNO message" with the kernel's errno (EBUSY:
 * deadline bandwidth not admitted). Exit status 0 whatever the kernel said; 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sched_tool.h"

struct jk_sched_attr {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
};

static const char *errno_name(int e) {
    switch (e) {
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case E2BIG: return "E2BIG";
    case ENOSYS: return "ENOSYS";
    default: return "E?";
    }
}

static int number(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') return -1;
    *out = v;
    return 0;
}

int sched_tool_main(int argc, char **argv) {
    uint64_t v[5];
    if (argc < 6) { fprintf(stderr, "usage: sched-setattr PRIORITY RUNTIME_NS DEADLINE_NS PERIOD_NS POLICY PID...\n"); return 2; }
    for (int i = 0; i < 5; i++) {
        if (number(argv[i], &v[i]) != 0) { fprintf(stderr, "sched-setattr: not a number: argument %d\n", i + 1); return 2; }
    }
    for (int i = 5; i < argc; i++) {
        uint64_t pid;
        if (number(argv[i], &pid) != 0 || pid == 0 || pid > INT32_MAX) { fprintf(stderr, "sched-setattr: bad pid\n"); return 2; }
        struct jk_sched_attr a = { 0 };
        a.size = sizeof a;
        a.sched_policy = (uint32_t) v[4];
        a.sched_priority = (uint32_t) v[0];
        a.sched_runtime = v[1];
        a.sched_deadline = v[2];
        a.sched_period = v[3];
        if (syscall(SYS_sched_setattr, (int) pid, &a, 0u) == 0) {
            printf("%d ok\n", (int) pid);
        } else {
            int e = errno;
            printf("%d %s %d %s\n", (int) pid, errno_name(e), e, strerror(e));
        }
    }
    return 0;
}
