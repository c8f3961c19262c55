/*
 * The worker runtime the work-type bodies share (workers.c defines it): the clocks, the stop test, the
 * checkpoint that counts work and gaps, wake-latency samples, and the small blocking primitives. A body
 * runs until stopping() and calls checkpoint() after each unit of work; restart_gap() after blocking on
 * purpose; wake_sample() with each measured wake-up latency.
 */
#ifndef JKTSTR_WORKER_RT_H
#define JKTSTR_WORKER_RT_H
#include <stdint.h>
#include <time.h>

#include "workers.h"

extern struct slot *me;              /* this worker's telemetry slot */
extern struct group_shm *group;      /* the group's shared memory (every slot, the common area) */

uint64_t now_ns(void);               /* CLOCK_MONOTONIC */
uint64_t next_rand(void);            /* xorshift, seeded per worker */
long futex(volatile uint32_t *addr, int op, uint32_t val, const struct timespec *ts);
int stopping(void);                  /* the group is stopping, or the Sequence phase is over */
void checkpoint(uint64_t units);
void restart_gap(void);
void wake_sample(uint64_t ns);
void spin(uint32_t loops);
void spin_for_ns(uint64_t ns);       /* checkpoints as it goes */
void sleep_ns(uint64_t ns);
/* Sleeps until the absolute CLOCK_MONOTONIC deadline; returns how late it woke (the wake latency), 0 if early. */
uint64_t sleep_until(uint64_t deadline_ns);
/* Waits (50 ms at a time, so a stop is noticed) while *word == val; 0 when the group stops first. */
int futex_wait_while(volatile uint32_t *word, uint32_t val);
void futex_wake(volatile uint32_t *word, int n);

/* Sets this worker's scheduling class: 0 normal, 1 batch, 2 idle, 3 FIFO, 4 RR (RT ones at rt_prio). 0 or -1. */
int set_sched_class(uint32_t cls, int rt_prio);

/* The Drepper three-state futex mutex over a shared word; lock returns 0 if the group stopped while waiting. */
int mutex_lock(volatile uint32_t *m);
void mutex_unlock(volatile uint32_t *m);

/* CPU lists from sysfs ("0-3,8"): fills out (up to max), returns the count or -1. */
int read_cpu_list(const char *path, int *out, int max);
/* The CPUs this worker may run on (ascending), as read_cpu_list. */
int allowed_cpus(int *out, int max);
/* Pins this worker to one CPU, or to a set. */
void pin_cpu(int cpu);

/* The family bodies: each returns 1 when it ran wp->type, 0 when the type is not its own. */
int run_compute(struct work_params *wp);      /* work_compute.c */
int run_idle(struct work_params *wp);         /* work_idle.c */
int run_chain(struct work_params *wp);        /* work_chain.c */
int run_fanout(struct work_params *wp);       /* work_fanout.c */
int run_contention(struct work_params *wp);   /* work_contention.c */
int run_rt(struct work_params *wp);           /* work_rt.c */
int run_churn(struct work_params *wp);        /* work_churn.c */
int run_memory(struct work_params *wp);       /* work_memory.c */
int run_net(struct work_params *wp);          /* work_net.c */
int run_io(struct work_params *wp);           /* work_io.c */
int run_custom(struct work_params *wp);       /* work_custom.c */

/* Schedstat of processes a worker ran on its behalf (CUSTOM's runs), added to its own at the finish. */
extern uint64_t extra_cpu_ns, extra_run_delay_ns, extra_timeslices;

#endif
