/*
 * The requests: handle_request dispatches one checked frame by its type (agent_protocol.h) to the handler
 * of its domain. Each handler parses its payload (bounded, see payload.h) and answers with OK / DATA frames
 * or one ERROR; malformed payloads get EINVAL. Requests are served one at a time, in order.
 */
#ifndef JKTSTR_RPC_H
#define JKTSTR_RPC_H
#include <stdint.h>

#include "payload.h"

void handle_request(uint32_t id, uint16_t type, const uint8_t *p, uint32_t len);

/* READY: unsolicited (id 0) after the host connects, or the answer to HELLO (rpc.c). */
void send_ready(uint32_t id);

/* rpc_exec.c */
void do_exec(uint32_t id, struct in *c);

/* rpc_files.c */
void do_read_file(uint32_t id, struct in *c);
void do_write_file(uint32_t id, struct in *c);
void do_write_data(uint32_t id, const uint8_t *p, uint32_t len);
void do_read_kmsg(uint32_t id);
/* Drops an unfinished WRITE_FILE (the host went away in the middle of it). */
void write_file_abandon(void);

/* rpc_workers.c */
void do_workers_spawn(uint32_t id, struct in *c);
void do_workers_start(uint32_t id, struct in *c);
void do_workers_stop(uint32_t id, struct in *c);
void do_workers_peek(uint32_t id, struct in *c);
void do_workers_cpus(uint32_t id, struct in *c);

#endif
