/*
 * Guest workloads: what one forked worker process runs, and the telemetry it leaves behind.
 * rpc_workers.c forks the workers, moves them into their cgroup, releases them and collects the slots;
 * this file holds only the worker side. The shared memory layout is private to the agent
 * (the host sees the encoded telemetry, see guest/README.md).
 */
#ifndef JKTSTR_WORKERS_H
#define JKTSTR_WORKERS_H
#include <stdint.h>
#include <sys/types.h>

#include "agent_protocol.h"

#define CPU_MASK_WORDS (AGENT_MAX_CPUS / 64u)

/* One phase of a Sequence: a work type (not a partner type, not a sequence) run for ms milliseconds. */
struct phase { uint32_t type, p1, p2, ms; };

/* One worker's telemetry, written by the worker into memory shared with the agent. */
struct slot {
    volatile int32_t state;          /* enum agent_worker_state (FINISHED: telemetry valid) */
    volatile uint32_t futex_word;    /* FutexPingPong: the token */
    volatile uint64_t wake_stamp;    /* FutexPingPong: when the partner woke this worker (ns) */
    int32_t pid;
    uint64_t work_units, iterations, cpu_ns, wall_ns, run_delay_ns, timeslices, migrations;
    uint64_t cpus[CPU_MASK_WORDS];
    uint64_t max_gap_ns, max_gap_at_ns;
    uint32_t max_gap_cpu, wake_count;
    uint64_t wake_p50_ns, wake_p99_ns, wake_max_ns;
    uint64_t voluntary_switches, involuntary_switches;
    volatile uint64_t last_ns;       /* CLOCK_MONOTONIC of the last checkpoint (WORKERS_PEEK: the gap now) */
    volatile int32_t mpol_state;     /* 0 not yet applied, 1 applied, 2 failed (mpol_errno says why) */
    int32_t mpol_errno;
    uint64_t cpus_since[CPU_MASK_WORDS]; /* CPUs seen since the agent last took them (WORKERS_CPUS); atomic */
};

/* State a whole group shares (the types whose workers meet in one place: locks, herds, queues). */
#define COMMON_RING 256u
struct group_common {
    volatile uint32_t lock;          /* MutexContention, PriorityInversion, Taobench: the contended lock word */
    volatile uint32_t generation;    /* ThunderingHerd: bumped per batch (the futex the herd waits on) */
    volatile uint32_t produced;      /* ProducerConsumerImbalance: items published (futex) */
    volatile uint32_t reserved;      /* ... ring entries taken by producers */
    volatile uint32_t claimed;       /* ... items taken by consumers */
    volatile uint64_t stamp;         /* ThunderingHerd: when the batch was released */
    volatile uint64_t shared_counter;/* Taobench: the record the writers update */
    volatile uint64_t ring[COMMON_RING]; /* ProducerConsumerImbalance: enqueue times */
};

struct group_shm {
    volatile uint32_t released;      /* futex: 0 until START */
    volatile uint32_t stop;          /* set by STOP */
    volatile uint32_t arrived;       /* futex: workers past the release and ready to work (the start line) */
    struct group_common common;
    struct slot w[];
};

struct work_params {
    uint32_t type;
    uint32_t p1, p2;                 /* meaning per type, 0 = default (see workers.c) */
    uint32_t count;                  /* workers in the group */
    uint32_t index;                  /* this worker */
    int32_t nice;
    uint32_t policy;                 /* sched policy + 1; 0 = leave as is */
    int has_affinity;
    uint64_t affinity[CPU_MASK_WORDS];
    int ring_in, ring_out;           /* PipeIo / WakeChain pipe ends, else -1 */
    int ring_first;                  /* this worker injects the token */
    uint32_t ring_base, ring_size;   /* the chain this worker is in: slots ring_base .. ring_base + ring_size - 1 */
    uint32_t nfds;                   /* EpollStorm: one eventfd per worker of the group, kept open across the fork */
    int fds[AGENT_MAX_WORKERS];
    uint32_t nphases;                /* Sequence: phases run in turn until stopped */
    struct phase phases[AGENT_MAX_PHASES];
    uint32_t mpol_mode;              /* enum agent_mpol_mode + 1 (AGENT_MPOL_DEFAULT = 1, ...); 0 = leave as inherited */
    uint64_t mpol_nodes;             /* node mask for bind / interleave / preferred (nodes 0..63) */
    char exec_path[AGENT_MAX_EXEC_PATH]; /* CUSTOM: the executable each worker runs, again whenever it exits */
};

/* Whether a work type can be a phase of a Sequence (types whose workers meet need their whole group, and a phase
 * ends on its own clock, so only solo types qualify). */
int phase_type_ok(uint32_t type);

/* The chain size a work type links its workers into (pipes or futex tokens); 0 = none. */
uint32_t chain_size(uint32_t type, uint32_t p2, uint32_t count);

/* Runs in the forked child: waits for release, works until stop, writes telemetry, never returns. */
void worker_main(struct group_shm *shm, struct work_params *wp) __attribute__((noreturn));

#endif
