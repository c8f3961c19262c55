/*
 * Memory-placement types: PageFaultChurn (touch pages of a region, drop them, again: minor faults without end),
 * NumaMigrationChurn (sweeps 1 MiB, moving itself and its pages to another node every period) and NumaWorkingSetSweep (binds its
 * working set to one node after another and sweeps it). On one node the NUMA types still sweep their memory
 * (the host rejects them there before boot; see WorkType).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "worker_rt.h"

#define PAGE 4096u

static void page_fault_churn(size_t size, uint32_t touches) {
    if (size < PAGE) size = PAGE;
    uint8_t *region = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) { while (!stopping()) { spin(2000); checkpoint(1); } return; }
    size_t pages = size / PAGE;
    while (!stopping()) {
        for (uint32_t k = 0; k < touches; k++) region[(next_rand() % pages) * PAGE] = (uint8_t) k;
        madvise(region, size, MADV_DONTNEED);
        checkpoint(touches);
    }
    munmap(region, size);
}

/* The online nodes that have CPUs this worker may use: node ids in nodes[], the count returned. */
static int usable_nodes(int *nodes, int max) {
    int online[64], n = read_cpu_list("/sys/devices/system/node/online", online, 64), count = 0;
    int allowed[1024], na = allowed_cpus(allowed, 1024);
    for (int i = 0; i < n && count < max; i++) {
        char path[80];
        int cpus[1024];
        snprintf(path, sizeof path, "/sys/devices/system/node/node%d/cpulist", online[i]);
        int nc = read_cpu_list(path, cpus, 1024), usable = 0;
        for (int a = 0; a < nc && !usable; a++) for (int b = 0; b < na && !usable; b++) usable = cpus[a] == allowed[b];
        if (usable) nodes[count++] = online[i];
    }
    return count;
}

static void pin_node(int node, const cpu_set_t *allowed) {
    char path[80];
    int cpus[1024];
    snprintf(path, sizeof path, "/sys/devices/system/node/node%d/cpulist", node);
    int nc = read_cpu_list(path, cpus, 1024);
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < nc; i++) if (cpus[i] < CPU_SETSIZE && CPU_ISSET(cpus[i], allowed)) CPU_SET(cpus[i], &set);
    if (CPU_COUNT(&set) > 0) sched_setaffinity(0, sizeof set, &set);
}

/* One 64 KiB chunk of the region per call, in turn: a checkpoint (and a look at the clock) per chunk, not per region. */
#define CHUNK (64u << 10)
static void sweep(volatile uint8_t *buf, size_t size, size_t *at) {
    if (*at >= size) *at = 0;
    size_t end = *at + CHUNK < size ? *at + CHUNK : size;
    for (size_t off = *at; off < end; off += 64) buf[off] += 1;
    *at = end;
}

static void numa_migration_churn(uint64_t period_ns) {
    cpu_set_t saved;
    sched_getaffinity(0, sizeof saved, &saved);
    int nodes[64], n = usable_nodes(nodes, 64);
    size_t size = 1u << 20, at = 0;
    volatile uint8_t *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) { while (!stopping()) { spin(2000); checkpoint(1); } return; }
    uint64_t next_move = now_ns() + period_ns;
    for (uint32_t hop = 0; !stopping();) {
        sweep(buf, size, &at);
        checkpoint(1);
        if (n >= 2 && now_ns() >= next_move) {
            int from = nodes[hop % (uint32_t) n], to = nodes[(hop + 1) % (uint32_t) n];
            hop++;
            pin_node(to, &saved);
            unsigned long old_mask = 1ul << from, new_mask = 1ul << to;
            syscall(SYS_migrate_pages, 0, 65ul, &old_mask, &new_mask); /* our pages follow us */
            next_move = now_ns() + period_ns;
            restart_gap();
        }
    }
    sched_setaffinity(0, sizeof saved, &saved);
    munmap((void *) buf, size);
}

static void numa_working_set_sweep(size_t size, uint64_t period_ns) {
    int nodes[64], n = usable_nodes(nodes, 64);
    uint8_t *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) { while (!stopping()) { spin(2000); checkpoint(1); } return; }
    uint64_t next_move = now_ns();
    size_t at = 0;
    for (uint32_t hop = 0; !stopping();) {
        if (n >= 2 && now_ns() >= next_move) {
            unsigned long mask = 1ul << nodes[hop++ % (uint32_t) n];
            /* MPOL_BIND with MPOL_MF_MOVE: the working set moves to the node now, new pages land there */
            syscall(SYS_mbind, buf, size, 2 /* MPOL_BIND */, &mask, 65ul, 2u /* MPOL_MF_MOVE */);
            next_move = now_ns() + period_ns;
            restart_gap();
        }
        sweep(buf, size, &at);
        checkpoint(1);
    }
    munmap(buf, size);
}

int run_memory(struct work_params *wp) {
    uint32_t p1 = wp->p1, p2 = wp->p2;
    switch (wp->type) {
    case AGENT_WORK_PAGE_FAULT_CHURN: page_fault_churn((size_t) (p1 ? p1 : 4096) * 1024u, p2 ? p2 : 256); return 1;
    case AGENT_WORK_NUMA_MIGRATION_CHURN: numa_migration_churn((uint64_t) (p1 ? p1 : 20) * 1000000ull); return 1;
    case AGENT_WORK_NUMA_WORKING_SET_SWEEP:
        numa_working_set_sweep((size_t) (p1 ? p1 : 4096) * 1024u, (uint64_t) (p2 ? p2 : 50) * 1000000ull);
        return 1;
    default: return 0;
    }
}
