/*
 * Types that make CPUs go idle and wake again: IdleChurn (short bursts, short sleeps to absolute deadlines) and
 * IrqWake (a periodic timerfd: each wake-up comes from the hrtimer interrupt). Both sample how late each wake was.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "worker_rt.h"

static void idle_churn(uint64_t burst_ns, uint64_t sleep_ns_) {
    while (!stopping()) {
        uint64_t end = now_ns() + burst_ns;
        while (now_ns() < end && !stopping()) spin(200);
        checkpoint(1);
        wake_sample(sleep_until(now_ns() + sleep_ns_));
    }
}

static void irq_wake(uint64_t period_ns, uint32_t work) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    if (fd < 0) { while (!stopping()) sleep_ns(10000000); return; }
    uint64_t first = now_ns() + period_ns;
    struct itimerspec its = {
        .it_interval = { (time_t) (period_ns / 1000000000ull), (long) (period_ns % 1000000000ull) },
        .it_value = { (time_t) (first / 1000000000ull), (long) (first % 1000000000ull) },
    };
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
    uint64_t expected = first, total = 0;
    while (!stopping()) {
        struct pollfd pf = { fd, POLLIN, 0 };
        if (poll(&pf, 1, 50) <= 0) { restart_gap(); continue; }
        uint64_t expirations;
        if (read(fd, &expirations, sizeof expirations) != (ssize_t) sizeof expirations) { restart_gap(); continue; }
        uint64_t t = now_ns();
        total += expirations;
        expected = first + (total - 1) * period_ns; /* the latest expiry this read covers */
        wake_sample(t > expected ? t - expected : 0);
        restart_gap();
        spin(work);
        checkpoint(1);
    }
    close(fd);
}

int run_idle(struct work_params *wp) {
    uint32_t p1 = wp->p1, p2 = wp->p2;
    switch (wp->type) {
    case AGENT_WORK_IDLE_CHURN: idle_churn((uint64_t) (p1 ? p1 : 50) * 1000ull, (uint64_t) (p2 ? p2 : 200) * 1000ull); return 1;
    case AGENT_WORK_IRQ_WAKE: irq_wake((uint64_t) (p1 ? p1 : 500) * 1000ull, p2 ? p2 : 500); return 1;
    default: return 0;
    }
}
