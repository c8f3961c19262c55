/*
 * Types whose workers pass a token along a chain (rpc_workers.c links them, chain_size() says how many):
 * PipeIo, CachePipe and pipe WakeChains over pipes; FutexPingPong, AsymmetricWaker and futex WakeChains over
 * each worker's futex word. The token carries its send time: the receiver's wake latency is send to receipt.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "worker_rt.h"

static volatile uint8_t *hop_buf;
static size_t hop_size;

/* What one hop costs: spin loops, or (CachePipe) a pass over the worker's cache footprint. */
static void hop_work(uint32_t work) {
    if (!hop_buf) { spin(work); return; }
    size_t off = next_rand() % hop_size;
    for (uint32_t i = 0; i < work; i++) { hop_buf[off] += 1; off = (off + 4160) % hop_size; }
}

static void pipe_chain(struct work_params *wp, uint32_t work) {
    if (wp->ring_first) {
        uint64_t t = now_ns();
        if (write(wp->ring_out, &t, sizeof t) < 0) { /* partner gone: just stop */ }
    }
    while (!stopping()) {
        struct pollfd pf = { wp->ring_in, POLLIN, 0 };
        int r = poll(&pf, 1, 50);
        if (r <= 0) { restart_gap(); continue; }
        uint64_t sent;
        if (read(wp->ring_in, &sent, sizeof sent) != (ssize_t) sizeof sent) { restart_gap(); continue; }
        uint64_t t = now_ns();
        if (t >= sent) wake_sample(t - sent);
        restart_gap();
        hop_work(work);
        checkpoint(1);
        t = now_ns();
        if (write(wp->ring_out, &t, sizeof t) < 0 && errno != EAGAIN) break;
    }
}

/* The token is "my futex word is 1"; the first worker of each chain starts with it. */
static void futex_chain(struct work_params *wp, uint32_t work) {
    if (wp->ring_size < 2) { /* a chain of one (the odd one out): spin like SpinWait */
        while (!stopping()) { spin(2000); checkpoint(1); }
        return;
    }
    struct slot *next = &group->w[wp->ring_base + (wp->index - wp->ring_base + 1) % wp->ring_size];
    if (wp->index == wp->ring_base) me->futex_word = 1;
    while (!stopping()) {
        if (!futex_wait_while(&me->futex_word, 0)) break;
        uint64_t t = now_ns(), stamp = me->wake_stamp;
        if (stamp && t >= stamp) wake_sample(t - stamp);
        restart_gap();
        hop_work(work);
        checkpoint(1);
        __atomic_store_n(&me->futex_word, 0, __ATOMIC_RELEASE);
        next->wake_stamp = now_ns();
        __atomic_store_n(&next->futex_word, 1, __ATOMIC_RELEASE);
        futex_wake(&next->futex_word, 1);
    }
}

int run_chain(struct work_params *wp) {
    uint32_t p1 = wp->p1, p2 = wp->p2;
    switch (wp->type) {
    case AGENT_WORK_PIPE_IO:
        pipe_chain(wp, p1 ? p1 : 500);
        return 1;
    case AGENT_WORK_WAKE_CHAIN: /* p1 spin loops per hop; p2 depth | AGENT_WAKE_CHAIN_FUTEX */
        if (p2 & AGENT_WAKE_CHAIN_FUTEX) futex_chain(wp, p1 ? p1 : 500);
        else pipe_chain(wp, p1 ? p1 : 500);
        return 1;
    case AGENT_WORK_FUTEX_PING_PONG:
        futex_chain(wp, p1 ? p1 : 500);
        return 1;
    case AGENT_WORK_CACHE_PIPE: /* p1 KiB footprint touched per hop (default 256), p2 cache lines per hop (default 1024) */
        hop_size = (size_t) (p1 ? p1 : 256) * 1024u;
        hop_buf = malloc(hop_size);
        pipe_chain(wp, p2 ? p2 : 1024);
        free((void *) hop_buf);
        hop_buf = NULL;
        return 1;
    case AGENT_WORK_ASYMMETRIC_WAKER: /* p1 spin loops per hop; p2 waker class | wakee class << 8 */
        set_sched_class(wp->index == wp->ring_base ? (p2 & 0xFF) : ((p2 >> 8) & 0xFF), 1);
        futex_chain(wp, p1 ? p1 : 500);
        return 1;
    default:
        return 0;
    }
}
