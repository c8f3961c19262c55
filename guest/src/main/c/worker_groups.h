/*
 * The agent's table of worker groups: each group's workers, their pids and the memory shared with them
 * (struct group_shm, workers.h). Up to AGENT_MAX_GROUPS at once; ids are never 0 and not reused soon.
 */
#ifndef JKTSTR_WORKER_GROUPS_H
#define JKTSTR_WORKER_GROUPS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent_protocol.h"
#include "workers.h"

struct group {
    uint32_t id;                     /* 0 = free */
    uint32_t count;
    struct group_shm *shm;
    size_t shm_size;
    pid_t pids[AGENT_MAX_WORKERS];
};

/* The group with this id, or NULL. */
struct group *find_group(uint32_t id);

/* A free entry (id 0), or NULL when all AGENT_MAX_GROUPS are in use. */
struct group *free_group(void);

/* The id for a new group: counts up, skipping 0. */
uint32_t new_group_id(void);

/* Unmaps the shared memory and frees the entry. */
void release_group(struct group *g);

/* SIGKILLs the workers that have not finished and waits for them. */
void kill_group(struct group *g);

/* Writes pid into a cgroup.procs file (moves the process into that cgroup); 0, or -1 with errno set. */
int write_pid(const char *procs, pid_t pid);

/*
 * Waits (up to 5 s) until every worker of a new group has applied its memory policy; the first failure is
 * reported with the worker's errno. A worker that died first counts as failed (ECHILD).
 */
void await_mempolicy(struct group *g, int *failed_errno, char *failure, size_t size);

#endif
