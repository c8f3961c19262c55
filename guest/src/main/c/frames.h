/*
 * Frames on the control port: sending OK / ERROR / DATA / READY frames, and serve(), which reads the host's
 * frames, checks them and hands each request to handle_request (rpc.h). The frame layout is agent_protocol.h's
 * and guest/README.md's.
 */
#ifndef JKTSTR_FRAMES_H
#define JKTSTR_FRAMES_H
#include <stddef.h>
#include <stdint.h>

#include "payload.h"

extern int ctl_fd;     /* requests come in here */
extern int ctl_out;    /* frames go out here: the same fd except in --stdio mode */

/* Sets up the CRC32 table; once, before the first frame. */
void crc_init(void);

/* Writes all n bytes, waiting out EAGAIN; 0, or -1 with errno set. */
int write_all(int fd, const void *p, size_t n);

/* An empty payload, built in place in the one output buffer (so one response is built at a time). */
struct out payload(void);

/* Sends the payload as one frame; an overflowed payload is logged and dropped. */
void send_frame(uint32_t id, uint16_t type, struct out *o);

/* ERROR {errno, its name, the formatted message}. */
void send_error(uint32_t id, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void send_ok_empty(uint32_t id);

/* Serves frames until the host side goes away (EOF or hangup). */
void serve(void);

#endif
