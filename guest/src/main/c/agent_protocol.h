/*
 * The agent protocol's constants: frame layout, message types, limits and the values payloads carry.
 *
 * This header is the one definition: the agent includes it, and the host's twin
 * (dev.jktstr.bindings.agent.AgentH, which dev.jktstr.guest.Protocol and the worker types refer to) is
 * generated from it by bindings/regenerate.sh (group "agent" in bindings/bindings.list). After changing
 * a value, run that script and commit its output; the bindings module's DriftTest fails until then.
 * Integer #defines and enum values only: that is what the generator binds. Errors carry Linux errno
 * values and names (ERROR frames), so there are no error codes of our own here.
 * The payload layouts are described in guest/README.md.
 */
#ifndef JKTSTR_AGENT_PROTOCOL_H
#define JKTSTR_AGENT_PROTOCOL_H

/* ---------- frames ---------- */

#define AGENT_PROTOCOL_VERSION 1u         /* in READY */
#define AGENT_MAGIC 0x53544B4Au           /* "JKTS" on the wire, little-endian */
#define AGENT_HEADER_SIZE 20u
#define AGENT_MAX_PAYLOAD (4u << 20)      /* the largest payload either side accepts in one frame */
#define AGENT_DATA_CHUNK (1u << 20)       /* READ_FILE's DATA frames and the host's WRITE_DATA frames */
#define AGENT_MAX_EXEC_OUTPUT (1u << 20)  /* EXEC capture per stream; also what a limit of 0 asks for */
#define AGENT_MAX_LIST 4096u              /* strings in one strs field */

/* The header's type field: requests (host to guest), then answers (guest to host). */
enum agent_message_type {
    AGENT_MSG_PING = 0x01,
    AGENT_MSG_EXEC = 0x02,
    AGENT_MSG_READ_FILE = 0x03,
    AGENT_MSG_WRITE_FILE = 0x04,
    AGENT_MSG_WRITE_DATA = 0x05,
    AGENT_MSG_READ_KMSG = 0x06,
    AGENT_MSG_POWER_OFF = 0x07,
    AGENT_MSG_HELLO = 0x08,           /* asks for READY again: a reconnecting host cannot know whether it was missed */
    AGENT_MSG_WORKERS_SPAWN = 0x10,
    AGENT_MSG_WORKERS_START = 0x11,
    AGENT_MSG_WORKERS_STOP = 0x12,
    AGENT_MSG_WORKERS_PEEK = 0x13,
    AGENT_MSG_WORKERS_CPUS = 0x14,
    AGENT_MSG_READY = 0x80,
    AGENT_MSG_OK = 0x81,
    AGENT_MSG_ERROR = 0x82,
    AGENT_MSG_DATA = 0x83,
};

/* ---------- worker groups ---------- */

#define AGENT_MAX_WORKERS 256u            /* per group */
#define AGENT_MAX_GROUPS 64u              /* alive at once; also the most ids one WORKERS_PEEK / WORKERS_CPUS names */
#define AGENT_MAX_CPUS 256u               /* affinity and CPUs-seen masks: 4 x u64 */
#define AGENT_MAX_PHASES 16u              /* of a SEQUENCE */
#define AGENT_MAX_NODES 64u               /* a memory policy's node mask is one u64 */
#define AGENT_MAX_STOP_GRACE_MS 60000u    /* WORKERS_STOP waits at most this long for the workers' reports */
#define AGENT_MAX_EXEC_PATH 256u         /* CUSTOM's executable path, bytes with the NUL */
#define AGENT_WAKE_CHAIN_FUTEX 0x10000u   /* WakeChain's param2: this bit picks futexes over pipes; the low 16 bits are the depth */

/* What a worker does (WORKERS_SPAWN's work type and the phases' types; workers.c runs them). */
enum agent_work_type {
    AGENT_WORK_SPIN_WAIT = 1,
    AGENT_WORK_YIELD_HEAVY = 2,
    AGENT_WORK_MIXED = 3,
    AGENT_WORK_BURSTY = 4,
    AGENT_WORK_PIPE_IO = 5,
    AGENT_WORK_FUTEX_PING_PONG = 6,
    AGENT_WORK_TIMER_LATENCY = 7,
    AGENT_WORK_IO_SYNC = 8,
    AGENT_WORK_CACHE_PRESSURE = 9,
    AGENT_WORK_WAKE_CHAIN = 10,
    AGENT_WORK_FORK_EXIT = 11,
    AGENT_WORK_AFFINITY_CHURN = 12,
    AGENT_WORK_NICE_SWEEP = 13,
    AGENT_WORK_SEQUENCE = 14,
    AGENT_WORK_IDLE_CHURN = 15,
    AGENT_WORK_ALU_HOT = 16,
    AGENT_WORK_SMT_SIBLING_SPIN = 17,
    AGENT_WORK_IPC_VARIANCE = 18,
    AGENT_WORK_CACHE_YIELD = 19,
    AGENT_WORK_CACHE_PIPE = 20,
    AGENT_WORK_FUTEX_FAN_OUT = 21,
    AGENT_WORK_FAN_OUT_COMPUTE = 22,
    AGENT_WORK_ASYMMETRIC_WAKER = 23,
    AGENT_WORK_EPOLL_STORM = 24,
    AGENT_WORK_THUNDERING_HERD = 25,
    AGENT_WORK_MUTEX_CONTENTION = 26,
    AGENT_WORK_PRIORITY_INVERSION = 27,
    AGENT_WORK_PRODUCER_CONSUMER_IMBALANCE = 28,
    AGENT_WORK_RT_STARVATION = 29,
    AGENT_WORK_PREEMPT_STORM = 30,
    AGENT_WORK_SIGNAL_STORM = 31,
    AGENT_WORK_CROSS_AFFINITY_CHURN = 32,
    AGENT_WORK_POLICY_CHURN = 33,
    AGENT_WORK_NUMA_MIGRATION_CHURN = 34,
    AGENT_WORK_CGROUP_CHURN = 35,
    AGENT_WORK_CGROUP_ATTACH_STORM = 36,
    AGENT_WORK_PAGE_FAULT_CHURN = 37,
    AGENT_WORK_NUMA_WORKING_SET_SWEEP = 38,
    AGENT_WORK_NET_TRAFFIC = 39,
    AGENT_WORK_IRQ_WAKE = 40,
    AGENT_WORK_SCHBENCH = 41,
    AGENT_WORK_TAOBENCH = 42,
    AGENT_WORK_IO_SYNC_WRITE = 43,    /* the I/O types use the scratch disk, /dev/vda */
    AGENT_WORK_IO_RAND_READ = 44,
    AGENT_WORK_IO_CONVOY = 45,
    AGENT_WORK_CUSTOM = 46,           /* runs the request's executable (a user's static binary) as the worker body */
    AGENT_WORK_MAX = 46,              /* the highest work type */
};

/* A worker's state in WORKERS_PEEK (and in its shared slot). */
enum agent_worker_state {
    AGENT_WORKER_WAITING = 0,         /* forked, waiting for WORKERS_START */
    AGENT_WORKER_RUNNING = 1,
    AGENT_WORKER_FINISHED = 2,        /* stopped, telemetry written */
};

/* Memory policy modes, numbered as set_mempolicy(2) numbers them; WORKERS_SPAWN sends mode + 1 (0 = none). */
enum agent_mpol_mode {
    AGENT_MPOL_DEFAULT = 0,
    AGENT_MPOL_PREFERRED = 1,
    AGENT_MPOL_BIND = 2,
    AGENT_MPOL_INTERLEAVE = 3,
    AGENT_MPOL_LOCAL = 4,
    AGENT_MPOL_PREFERRED_MANY = 5,    /* Linux 5.15 */
    AGENT_MPOL_WEIGHTED_INTERLEAVE = 6, /* Linux 6.9; weights from /sys/kernel/mm/mempolicy/weighted_interleave */
    AGENT_MPOL_MAX = 6,               /* the highest mode */
};

#endif
