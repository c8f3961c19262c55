/* The C peer of IoctlBenchmark: the same ioctl(kvm_fd, KVM_GET_API_VERSION) loop, timed with
 * CLOCK_MONOTONIC. Built twice by IoctlRatio: as a program (prints the mean nanoseconds per call of
 * the best of several rounds) and as a shared library whose ioctl_loop_ns() runs the same loop
 * inside the JVM's own process, so process-level costs (address space, TLB) are the same on both sides. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Best mean ns per call over `rounds` rounds of `iterations` calls; negative on an ioctl error. */
double ioctl_loop_ns(int fd, long iterations, int rounds) {
    double best = 1e18;
    for (int r = 0; r < rounds; r++) {
        double start = now_ns();
        for (long i = 0; i < iterations; i++) {
            if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
                return -1;
            }
        }
        double per_call = (now_ns() - start) / iterations;
        if (per_call < best) best = per_call;
    }
    return best;
}

#ifndef IOCTL_LOOP_LIBRARY
int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/dev/kvm";
    long iterations = argc > 2 ? atol(argv[2]) : 1000000;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) { perror(path); return 2; }
    double best = ioctl_loop_ns(fd, iterations, rounds);
    if (best < 0) { perror("ioctl"); return 3; }
    printf("%.2f\n", best);
    close(fd);
    return 0;
}
#endif
