/* The table of worker groups (worker_groups.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "worker_groups.h"

static struct group groups[AGENT_MAX_GROUPS];
static uint32_t next_group_id = 1;

struct group *free_group(void) {
    for (uint32_t i = 0; i < AGENT_MAX_GROUPS; i++) if (!groups[i].id) return &groups[i];
    return NULL;
}

uint32_t new_group_id(void) {
    uint32_t id = next_group_id++;
    if (next_group_id == 0) next_group_id = 1;
    return id;
}

struct group *find_group(uint32_t id) {
    for (uint32_t i = 0; id && i < AGENT_MAX_GROUPS; i++) if (groups[i].id == id) return &groups[i];
    return NULL;
}

void release_group(struct group *g) {
    if (g->shm) munmap(g->shm, g->shm_size);
    memset(g, 0, sizeof *g);
}

void kill_group(struct group *g) {
    for (uint32_t i = 0; i < g->count; i++) {
        if (g->pids[i] > 0 && g->shm->w[i].state != AGENT_WORKER_FINISHED) {
            kill(g->pids[i], SIGKILL);
            waitpid(g->pids[i], NULL, 0);
        }
    }
}

int write_pid(const char *procs, pid_t pid) {
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char num[16];
    int n = snprintf(num, sizeof num, "%d", (int) pid);
    int rc = write(fd, num, (size_t) n) == n ? 0 : -1;
    int err = errno;
    close(fd);
    errno = err;
    return rc;
}

void await_mempolicy(struct group *g, int *failed_errno, char *failure, size_t size) {
    uint64_t deadline = monotonic_ms() + 5000;
    for (uint32_t i = 0; i < g->count; i++) {
        int32_t st;
        while ((st = __atomic_load_n(&g->shm->w[i].mpol_state, __ATOMIC_ACQUIRE)) == 0) {
            if (monotonic_ms() >= deadline || kill(g->pids[i], 0) != 0) break;
            usleep(1000);
        }
        if (st == 1) continue;
        *failed_errno = st == 2 ? g->shm->w[i].mpol_errno : st == 0 && kill(g->pids[i], 0) == 0 ? ETIMEDOUT : ECHILD;
        snprintf(failure, size, "set_mempolicy in worker %d: %s", (int) g->pids[i],
                 st == 2 ? strerror(g->shm->w[i].mpol_errno) : "the worker did not apply it");
        return;
    }
}
