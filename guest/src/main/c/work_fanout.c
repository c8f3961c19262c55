/*
 * One waker, many wakees: FutexFanOut and FanOutCompute (a messenger wakes its receivers, waits for all of them
 * to finish), Schbench (schbench's message and worker threads: think time per request, request latency),
 * ThunderingHerd (one futex, the whole group woken at once) and EpollStorm (producers write eventfds that every
 * consumer's epoll set watches). Receivers sample their wake latency; messengers their round trip.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "worker_rt.h"

/* FutexFanOut / FanOutCompute / Schbench: groups of fan + 1 workers; the first of each is the messenger. */
enum receiver_work { SPIN_LOOPS, CACHE_PASS, THINK_NS };

static void receiver_do(enum receiver_work kind, uint32_t amount, volatile uint8_t *buf, size_t size) {
    if (kind == SPIN_LOOPS) spin(amount);
    else if (kind == THINK_NS) { uint64_t end = now_ns() + amount; while (now_ns() < end) spin(100); }
    else for (size_t off = 0; off < size; off += 64) buf[off] = (uint8_t) (buf[off] * 3 + 1);
}

static void fan_out(struct work_params *wp, uint32_t fan, enum receiver_work kind, uint32_t amount) {
    uint32_t size = fan + 1, base = wp->index - wp->index % size;
    uint32_t end = base + size < wp->count ? base + size : wp->count;
    if (end - base < 2) { while (!stopping()) { spin(2000); checkpoint(1); } return; } /* no receivers */
    struct slot *leader = &group->w[base];
    if (wp->index == base) {
        while (!stopping()) {
            uint64_t t0 = now_ns();
            __atomic_store_n(&me->futex_word, end - base - 1, __ATOMIC_RELEASE); /* receivers still working */
            for (uint32_t r = base + 1; r < end; r++) {
                group->w[r].wake_stamp = now_ns();
                __atomic_store_n(&group->w[r].futex_word, 1, __ATOMIC_RELEASE);
                futex_wake(&group->w[r].futex_word, 1);
            }
            uint32_t left;
            while ((left = __atomic_load_n(&me->futex_word, __ATOMIC_ACQUIRE)) != 0) {
                if (!futex_wait_while(&me->futex_word, left)) return;
            }
            if (kind == THINK_NS) wake_sample(now_ns() - t0); /* Schbench: the request's latency */
            checkpoint(1);
        }
        return;
    }
    size_t bytes = kind == CACHE_PASS ? (size_t) amount * 1024u : 0;
    volatile uint8_t *buf = bytes ? calloc(1, bytes) : NULL;
    if (bytes && !buf) kind = SPIN_LOOPS;
    while (!stopping()) {
        if (!futex_wait_while(&me->futex_word, 0)) break;
        uint64_t t = now_ns(), stamp = me->wake_stamp;
        if (stamp && t >= stamp) wake_sample(t - stamp);
        receiver_do(kind, amount, buf, bytes);
        checkpoint(1);
        __atomic_store_n(&me->futex_word, 0, __ATOMIC_RELEASE);
        if (__atomic_sub_fetch(&leader->futex_word, 1, __ATOMIC_ACQ_REL) == 0) futex_wake(&leader->futex_word, 1);
    }
    free((void *) buf);
}

/* Worker 0 releases a batch every interval; everyone else waits on the one generation word. */
static void thundering_herd(struct work_params *wp, uint64_t interval_ns, uint32_t work) {
    struct group_common *c = &group->common;
    if (wp->index == 0) {
        uint64_t deadline = now_ns() + interval_ns;
        while (!stopping()) {
            sleep_until(deadline);
            deadline += interval_ns;
            c->stamp = now_ns();
            __atomic_add_fetch(&c->generation, 1, __ATOMIC_RELEASE);
            futex_wake(&c->generation, INT32_MAX);
            checkpoint(1);
        }
        return;
    }
    while (!stopping()) {
        uint32_t gen = __atomic_load_n(&c->generation, __ATOMIC_ACQUIRE);
        if (!futex_wait_while(&c->generation, gen)) break;
        uint64_t t = now_ns(), stamp = c->stamp;
        if (stamp && t >= stamp) wake_sample(t - stamp);
        spin(work);
        checkpoint(1);
    }
}

/*
 * The first `producers` workers write bursts of events to the consumers' eventfds, round robin; every consumer
 * watches every consumer's eventfd, so each event wakes several and one of them wins the read.
 */
static void epoll_storm(struct work_params *wp, uint32_t producers, uint32_t burst) {
    if (producers >= wp->count) producers = wp->count > 1 ? wp->count - 1 : 0;
    if (wp->nfds != wp->count || producers == 0) { while (!stopping()) { spin(2000); checkpoint(1); } return; }
    if (wp->index < producers) {
        uint32_t next = producers + wp->index % (wp->count - producers);
        while (!stopping()) {
            for (uint32_t k = 0; k < burst; k++) {
                group->w[next].wake_stamp = now_ns();
                uint64_t one = 1;
                if (write(wp->fds[next], &one, sizeof one) < 0) { /* full: the consumers are behind */ }
                next = next + 1 < wp->count ? next + 1 : producers;
            }
            checkpoint(burst);
            sleep_ns(100000);
        }
        return;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (uint32_t i = producers; ep >= 0 && i < wp->count; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
        epoll_ctl(ep, EPOLL_CTL_ADD, wp->fds[i], &ev);
    }
    if (ep < 0) { while (!stopping()) sleep_ns(10000000); return; }
    while (!stopping()) {
        struct epoll_event evs[16];
        int n = epoll_wait(ep, evs, 16, 50);
        restart_gap();
        for (int k = 0; k < n; k++) {
            uint32_t i = evs[k].data.u32;
            uint64_t count, stamp = group->w[i].wake_stamp, t = now_ns();
            if (i >= wp->count || read(wp->fds[i], &count, sizeof count) != (ssize_t) sizeof count) continue; /* lost the race */
            if (stamp && t >= stamp) wake_sample(t - stamp);
            checkpoint(count);
        }
    }
    close(ep);
}

int run_fanout(struct work_params *wp) {
    uint32_t p1 = wp->p1, p2 = wp->p2;
    switch (wp->type) {
    case AGENT_WORK_FUTEX_FAN_OUT: fan_out(wp, p1 ? p1 : 4, SPIN_LOOPS, p2 ? p2 : 500); return 1;
    case AGENT_WORK_FAN_OUT_COMPUTE: fan_out(wp, p1 ? p1 : 4, CACHE_PASS, p2 ? p2 : 256); return 1;
    case AGENT_WORK_SCHBENCH: fan_out(wp, p1 ? p1 : 4, THINK_NS, (p2 ? (p2 < 1000000 ? p2 : 1000000) : 50) * 1000u); return 1;
    case AGENT_WORK_THUNDERING_HERD: thundering_herd(wp, (uint64_t) (p1 ? p1 : 5000) * 1000ull, p2 ? p2 : 2000); return 1;
    case AGENT_WORK_EPOLL_STORM: epoll_storm(wp, p1 ? p1 : 1, p2 ? p2 : 16); return 1;
    default: return 0;
    }
}
