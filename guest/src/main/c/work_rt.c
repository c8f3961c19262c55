/*
 * Preemption and interruption: RtStarvation (SCHED_FIFO workers that hog CPUs beside normal ones: the normal
 * workers' gaps show the starvation), PreemptStorm (FIFO workers waking every few hundred µs to preempt
 * spinners) and SignalStorm (partners signalling each other as fast as they can).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "worker_rt.h"

/* The first `rt` workers run SCHED_FIFO at prio, 5 ms busy then 1 ms asleep; the rest spin as normal tasks. */
static void rt_starvation(struct work_params *wp, uint32_t rt, int prio) {
    if (rt >= wp->count && wp->count > 1) rt = wp->count - 1;
    if (wp->index < rt) {
        set_sched_class(3, prio);
        while (!stopping()) {
            spin_for_ns(5000000);
            wake_sample(sleep_until(now_ns() + 1000000));
        }
        return;
    }
    while (!stopping()) { spin(2000); checkpoint(1); }
}

/* Even workers are SCHED_FIFO (prio 10): wake every sleep_us (absolute deadlines), spin burst loops, sleep again. */
static void preempt_storm(struct work_params *wp, uint64_t period_ns, uint32_t burst) {
    if (wp->index % 2 == 0) {
        set_sched_class(3, 10);
        uint64_t deadline = now_ns() + period_ns;
        while (!stopping()) {
            wake_sample(sleep_until(deadline));
            spin(burst);
            checkpoint(1);
            deadline += period_ns;
            uint64_t t = now_ns();
            if (deadline < t) deadline = t + period_ns;
        }
        return;
    }
    while (!stopping()) { spin(2000); checkpoint(1); }
}

/* The handler samples the delivery latency: the sender stamps our slot just before kill(). */
static void on_signal(int sig) {
    (void) sig;
    uint64_t t = now_ns(), stamp = me->wake_stamp;
    if (stamp && t >= stamp) wake_sample(t - stamp);
}

static void signal_storm(struct work_params *wp, uint32_t per_iter, uint32_t work) {
    struct slot *partner = wp->ring_size == 2 ? &group->w[wp->ring_base + (wp->index == wp->ring_base)] : me;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    while (!stopping()) {
        spin(work);
        /* Only a running partner: the start line (workers.c) makes every partner ignore SIGUSR1 before anyone works,
         * but it gives up on a partner not run for a second, whom the default action would kill; one that finished is
         * gone. */
        if (partner != me && __atomic_load_n(&partner->state, __ATOMIC_ACQUIRE) != AGENT_WORKER_RUNNING) {
            checkpoint(1);
            continue;
        }
        for (uint32_t k = 0; k < per_iter; k++) {
            partner->wake_stamp = now_ns();
            kill(partner->pid, SIGUSR1);
        }
        checkpoint(1);
    }
    signal(SIGUSR1, SIG_IGN); /* no samples while finish() sorts them */
}

int run_rt(struct work_params *wp) {
    uint32_t p1 = wp->p1, p2 = wp->p2;
    switch (wp->type) {
    case AGENT_WORK_RT_STARVATION: rt_starvation(wp, p1 ? p1 : 1, p2 ? (int) (p2 > 99 ? 99 : p2) : 50); return 1;
    case AGENT_WORK_PREEMPT_STORM: preempt_storm(wp, (uint64_t) (p1 ? p1 : 200) * 1000ull, p2 ? p2 : 2000); return 1;
    case AGENT_WORK_SIGNAL_STORM: signal_storm(wp, p1 ? p1 : 4, p2 ? p2 : 2000); return 1;
    default: return 0;
    }
}
