/*
 * Workers that fight over one thing: MutexContention (a futex mutex, hold and work times), PriorityInversion
 * (low, medium and high tiers around one lock, optionally priority-inheriting), ProducerConsumerImbalance
 * (a queue fed slower or faster than it is drained) and Taobench (a read-mostly request mix whose writes take
 * the lock). The wake latency is the time to get the lock, the item's time in the queue, or the oversleep.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "worker_rt.h"

int mutex_lock(volatile uint32_t *m) {
    uint32_t c = 0;
    if (__atomic_compare_exchange_n(m, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return 1;
    if (c != 2) c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
    struct timespec wait = { 0, 50 * 1000000L };
    while (c != 0) {
        if (stopping()) return 0;
        futex(m, FUTEX_WAIT, 2, &wait);
        c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
    }
    return 1;
}

void mutex_unlock(volatile uint32_t *m) {
    if (__atomic_fetch_sub(m, 1, __ATOMIC_RELEASE) != 1) {
        __atomic_store_n(m, 0, __ATOMIC_RELEASE);
        futex_wake(m, 1);
    }
}

/* Priority-inheriting lock: the word holds the owner's tid; the kernel boosts the owner while others wait. */
static int pi_lock(volatile uint32_t *m, uint32_t tid) {
    uint32_t z = 0;
    if (__atomic_compare_exchange_n(m, &z, tid, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return 1;
    while (!stopping()) {
        struct timespec abs;
        clock_gettime(CLOCK_REALTIME, &abs); /* FUTEX_LOCK_PI's timeout is absolute, on CLOCK_REALTIME */
        abs.tv_nsec += 50 * 1000000L;
        if (abs.tv_nsec >= 1000000000L) { abs.tv_sec++; abs.tv_nsec -= 1000000000L; }
        if (syscall(SYS_futex, m, FUTEX_LOCK_PI, 0, &abs, NULL, 0) == 0) return 1;
        if (errno != ETIMEDOUT && errno != EINTR && errno != EAGAIN) return 0;
    }
    return 0;
}

static void pi_unlock(volatile uint32_t *m, uint32_t tid) {
    uint32_t expected = tid;
    if (!__atomic_compare_exchange_n(m, &expected, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        syscall(SYS_futex, m, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
}

static void mutex_contention(uint32_t hold, uint32_t work) {
    volatile uint32_t *m = &group->common.lock;
    while (!stopping()) {
        uint64_t t0 = now_ns();
        if (!mutex_lock(m)) break;
        wake_sample(now_ns() - t0);
        restart_gap();
        spin(hold);
        mutex_unlock(m);
        spin(work);
        checkpoint(1);
    }
}

/*
 * Worker 0 is low (nice 19, holds the lock for `hold` loops), the next (count - 1) / 2 are medium (nice 0, spin),
 * the rest high (nice -20, sleep 1 ms, take the lock briefly: their wait is the inversion).
 */
static void priority_inversion(struct work_params *wp, uint32_t hold, int pi) {
    volatile uint32_t *m = &group->common.lock;
    uint32_t tid = (uint32_t) syscall(SYS_gettid), mediums = (wp->count - 1) / 2;
    int tier = wp->index == 0 ? 0 : wp->index <= mediums ? 1 : 2;
    setpriority(PRIO_PROCESS, 0, tier == 0 ? 19 : tier == 1 ? 0 : -20);
    while (!stopping()) {
        if (tier == 1) { spin(2000); checkpoint(1); continue; }
        if (tier == 2) sleep_ns(1000000);
        uint64_t t0 = now_ns();
        if (!(pi ? pi_lock(m, tid) : mutex_lock(m))) break;
        if (tier == 2) wake_sample(now_ns() - t0);
        restart_gap();
        spin(tier == 0 ? hold : 500);
        if (pi) pi_unlock(m, tid); else mutex_unlock(m);
        checkpoint(1);
        if (tier == 0) sleep_ns(200000);
    }
}

/*
 * The first `producers` workers publish items at `rate` per second each (absolute deadlines); the rest take them
 * in order and spin `consume` loops per item. An item's wake latency is its time in the queue.
 */
static void producer_consumer(struct work_params *wp, uint32_t producers, uint32_t rate, uint32_t consume) {
    struct group_common *c = &group->common;
    if (producers >= wp->count) producers = wp->count > 1 ? wp->count - 1 : 0;
    if (producers == 0) { while (!stopping()) { spin(2000); checkpoint(1); } return; }
    if (wp->index < producers) {
        uint64_t period = 1000000000ull / (rate ? rate : 1), deadline = now_ns() + period;
        while (!stopping()) {
            sleep_until(deadline);
            deadline += period;
            uint32_t idx = __atomic_fetch_add(&c->reserved, 1, __ATOMIC_ACQ_REL);
            c->ring[idx % COMMON_RING] = now_ns();
            __atomic_add_fetch(&c->produced, 1, __ATOMIC_RELEASE);
            futex_wake(&c->produced, 1);
            checkpoint(1);
        }
        return;
    }
    while (!stopping()) {
        uint32_t ticket = __atomic_fetch_add(&c->claimed, 1, __ATOMIC_ACQ_REL), have;
        while ((int32_t) ((have = __atomic_load_n(&c->produced, __ATOMIC_ACQUIRE)) - ticket) <= 0) {
            if (!futex_wait_while(&c->produced, have)) return;
        }
        uint64_t t = now_ns(), stamp = c->ring[ticket % COMMON_RING];
        if (stamp && t >= stamp) wake_sample(t - stamp);
        restart_gap();
        spin(consume);
        checkpoint(1);
    }
}

/*
 * Taobench's pattern: requests against a cache, read_pct % reads (random lookups in a private 4 MiB table) and the
 * rest writes (under the group's lock, updating the shared record); every 16 requests a wait for the network (50 µs unless p2 says).
 */
static void taobench(uint32_t read_pct, uint64_t wait_ns) {
    size_t n = (4u << 20) / sizeof(uint64_t);
    uint64_t *table = calloc(n, sizeof *table);
    if (!table) { while (!stopping()) { spin(2000); checkpoint(1); } return; }
    uint64_t sum = 0;
    for (uint64_t req = 0; !stopping(); req++) {
        if (next_rand() % 100 < read_pct) {
            for (int k = 0; k < 16; k++) sum += table[next_rand() % n];
        } else {
            if (!mutex_lock(&group->common.lock)) break;
            group->common.shared_counter++;
            for (int k = 0; k < 16; k++) table[next_rand() % n] = sum + (uint64_t) k;
            mutex_unlock(&group->common.lock);
        }
        checkpoint(1);
        if (req % 16 == 15) wake_sample(sleep_until(now_ns() + wait_ns));
    }
    __asm__ volatile("" : : "r"(sum));
    free(table);
}

int run_contention(struct work_params *wp) {
    uint32_t p1 = wp->p1, p2 = wp->p2;
    switch (wp->type) {
    case AGENT_WORK_MUTEX_CONTENTION: mutex_contention(p1 ? p1 : 2000, p2 ? p2 : 5000); return 1;
    case AGENT_WORK_PRIORITY_INVERSION: priority_inversion(wp, p1 ? p1 : 20000, p2 != 0); return 1;
    case AGENT_WORK_PRODUCER_CONSUMER_IMBALANCE: producer_consumer(wp, p1 ? p1 : 1, p2 ? p2 : 2000, 20000); return 1;
    case AGENT_WORK_TAOBENCH: taobench(p1 ? (p1 > 100 ? 100 : p1) : 90, (uint64_t) (p2 ? p2 : 50) * 1000ull); return 1;
    default: return 0;
    }
}
