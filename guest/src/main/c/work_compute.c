/*
 * CPU-bound types that differ in what they stress: AluHot (the integer units, width independent chains),
 * SmtSiblingSpin (both threads of SMT cores), IpcVariance (high-IPC and memory-stalled phases in turn),
 * CacheYield (a cache pass, then a yield).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "worker_rt.h"

static void alu_hot(uint32_t width) {
    if (width < 1) width = 1;
    if (width > 8) width = 8;
    uint64_t acc[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    while (!stopping()) {
        for (int i = 0; i < 4096; i++) {
            for (uint32_t k = 0; k < width; k++) acc[k] = acc[k] * 6364136223846793005ull + (k | 1);
        }
        __asm__ volatile("" : : "r"(acc[0]), "r"(acc[width - 1]) : "memory");
        checkpoint(1);
    }
}

/*
 * The allowed CPUs that have an allowed SMT sibling, siblings next to each other: worker i takes entry i, so
 * workers 2k and 2k+1 share a core.
 */
static int sibling_cpus(int *out, int max) {
    int allowed[1024], n = allowed_cpus(allowed, 1024), count = 0;
    for (int i = 0; i < n && count + 1 < max; i++) {
        char path[96];
        int sib[16];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", allowed[i]);
        int ns = read_cpu_list(path, sib, 16);
        if (ns < 2 || sib[0] != allowed[i]) continue; /* no sibling, or not the core's first thread */
        for (int j = 0; j < n; j++) {
            if (allowed[j] == sib[1]) { out[count++] = sib[0]; out[count++] = sib[1]; break; }
        }
    }
    return count;
}

static void smt_sibling_spin(struct work_params *wp) {
    int cpus[512], n = sibling_cpus(cpus, 512);
    if (n > 0) pin_cpu(cpus[wp->index % (uint32_t) n]);
    while (!stopping()) { spin(2000); checkpoint(1); }
}

/* Alternates p1 batches of ALU work with p2 batches of dependent loads over a 8 MiB random cycle. */
static void ipc_variance(uint32_t hot, uint32_t cold) {
    size_t n = (8u << 20) / sizeof(uint32_t);
    uint32_t *next = malloc(n * sizeof *next);
    if (!next) { while (!stopping()) { spin(2000); checkpoint(1); } return; }
    for (size_t i = 0; i < n; i++) next[i] = (uint32_t) i;
    for (size_t i = n - 1; i > 0; i--) { /* Sattolo: one cycle through every entry */
        size_t j = next_rand() % i;
        uint32_t t = next[i]; next[i] = next[j]; next[j] = t;
    }
    uint32_t at = 0;
    while (!stopping()) {
        for (uint32_t i = 0; i < hot && !stopping(); i++) { spin(2000); checkpoint(1); }
        for (uint32_t i = 0; i < cold && !stopping(); i++) {
            for (int k = 0; k < 256; k++) at = next[at];
            checkpoint(1);
        }
    }
    __asm__ volatile("" : : "r"(at));
    free(next);
}

static void cache_yield(size_t size, size_t stride) {
    volatile uint8_t *buf = malloc(size);
    if (!buf) { while (!stopping()) { spin(2000); sched_yield(); checkpoint(1); } return; }
    size_t off = 0;
    while (!stopping()) {
        for (int i = 0; i < 1024; i++) { buf[off] += 1; off = (off + stride) % size; }
        sched_yield();
        checkpoint(1);
    }
    free((void *) buf);
}

int run_compute(struct work_params *wp) {
    uint32_t p1 = wp->p1, p2 = wp->p2;
    switch (wp->type) {
    case AGENT_WORK_ALU_HOT: alu_hot(p1 ? p1 : 4); return 1;
    case AGENT_WORK_SMT_SIBLING_SPIN: smt_sibling_spin(wp); return 1;
    case AGENT_WORK_IPC_VARIANCE: ipc_variance(p1 ? p1 : 64, p2 ? p2 : 64); return 1;
    case AGENT_WORK_CACHE_YIELD: cache_yield((size_t) (p1 ? p1 : 1024) * 1024u, p2 ? p2 : 4160); return 1;
    default: return 0;
    }
}
