/*
 * What several work types read from sysfs or set on themselves: CPU lists, the allowed CPUs, pinning.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "worker_rt.h"

int read_cpu_list(const char *path, int *out, int max) {
    char buf[1024];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    int count = 0;
    char *p = buf;
    while (*p && *p != '\n') {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 0) return count;
        p = end;
        if (*p == '-') { b = strtol(p + 1, &end, 10); if (end == p + 1 || b < a) return count; p = end; }
        for (long c = a; c <= b && c < 4096 && count < max; c++) out[count++] = (int) c;
        if (*p == ',') p++;
    }
    return count;
}

int allowed_cpus(int *out, int max) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < max; c++) if (CPU_ISSET(c, &set)) out[n++] = c;
    return n;
}

void pin_cpu(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    sched_setaffinity(0, sizeof one, &one);
}
