/*
 * Frames on the control port (frames.h). Bad input from the host never crashes the agent: a bad magic,
 * non-zero flags or an oversize length gets one ERROR (EPROTO) and a byte-by-byte search for the next
 * magic; a bad CRC gets an ERROR with that frame's id (EBADMSG).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "agent_protocol.h"
#include "frames.h"
#include "rpc.h"

int ctl_fd = -1;
int ctl_out = -1;
static uint32_t crc_table[256];
static uint8_t in_buf[AGENT_MAX_PAYLOAD];
static uint8_t out_buf[AGENT_HEADER_SIZE + AGENT_MAX_PAYLOAD];

/* ---------- CRC32 (zlib polynomial, same as java.util.zip.CRC32) ---------- */

void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* ---------- sending ---------- */

int write_all(int fd, const void *p, size_t n) {
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { struct pollfd pf = { fd, POLLOUT, 0 }; poll(&pf, 1, 100); continue; }
            return -1;
        }
        b += w;
        n -= (size_t) w;
    }
    return 0;
}

/* Payload is built in place at out_buf + AGENT_HEADER_SIZE. */
struct out payload(void) {
    struct out o = { out_buf + AGENT_HEADER_SIZE, 0, AGENT_MAX_PAYLOAD, 0 };
    return o;
}

void send_frame(uint32_t id, uint16_t type, struct out *o) {
    if (o->overflow) { logmsg("response to %u overflowed, dropped", id); return; }
    uint32_t len = (uint32_t) o->len;
    uint32_t crc = crc32_of(out_buf + AGENT_HEADER_SIZE, len);
    struct out h = { out_buf, 0, AGENT_HEADER_SIZE, 0 };
    put_u32(&h, AGENT_MAGIC);
    put_u32(&h, id);
    put_u8(&h, type & 0xFF);
    put_u8(&h, type >> 8);
    put_u8(&h, 0);
    put_u8(&h, 0);
    put_u32(&h, len);
    put_u32(&h, crc);
    if (write_all(ctl_out, out_buf, AGENT_HEADER_SIZE + len) < 0) logmsg("write to control port: %s", strerror(errno));
}

void send_error(uint32_t id, int err, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct out o = payload();
    put_u32(&o, (uint32_t) err);
    const char *name = err ? strerrorname_np(err) : NULL;
    put_str(&o, name ? name : "");
    put_str(&o, msg);
    send_frame(id, AGENT_MSG_ERROR, &o);
}

void send_ok_empty(uint32_t id) {
    struct out o = payload();
    send_frame(id, AGENT_MSG_OK, &o);
}

/* ---------- receiving ---------- */

/* 1 = complete, 0 = EOF (host gone), -1 = error */
static int read_all(int fd, void *p, size_t n) {
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = read(fd, b, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { struct pollfd pf = { fd, POLLIN, 0 }; poll(&pf, 1, 100); continue; }
            return -1;
        }
        if (r == 0) return 0;
        b += r;
        n -= (size_t) r;
    }
    return 1;
}

static uint32_t le32(const uint8_t *b) {
    return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}

void serve(void) {
    uint8_t h[AGENT_HEADER_SIZE];
    int have = 0, resyncing = 0;
    for (;;) {
        struct pollfd pf = { ctl_fd, POLLIN, 0 };
        int pr = poll(&pf, 1, 1000);
        reap_children();
        if (pr == 0 || (pr < 0 && errno == EINTR)) continue;
        if (!(pf.revents & POLLIN) && (pf.revents & (POLLHUP | POLLERR))) return;
        int r = read_all(ctl_fd, h + have, AGENT_HEADER_SIZE - (size_t) have);
        if (r <= 0) return;
        have = AGENT_HEADER_SIZE;
        uint32_t magic = le32(h), id = le32(h + 4), len = le32(h + 12), crc = le32(h + 16);
        uint16_t type = (uint16_t) (h[8] | h[9] << 8), flags = (uint16_t) (h[10] | h[11] << 8);
        if (magic != AGENT_MAGIC || len > AGENT_MAX_PAYLOAD || flags != 0) {
            /* Lost framing: report once, then slide forward one byte at a time to the next magic. */
            if (!resyncing) {
                send_error(0, EPROTO, magic != AGENT_MAGIC ? "bad frame magic 0x%08x" :
                           len > AGENT_MAX_PAYLOAD ? "frame length %u exceeds the maximum" : "bad frame flags 0x%x",
                           magic != AGENT_MAGIC ? magic : len > AGENT_MAX_PAYLOAD ? len : flags);
                resyncing = 1;
            }
            memmove(h, h + 1, AGENT_HEADER_SIZE - 1);
            have = AGENT_HEADER_SIZE - 1;
            continue;
        }
        resyncing = 0;
        have = 0;
        r = read_all(ctl_fd, in_buf, len);
        if (r <= 0) return;
        if (crc32_of(in_buf, len) != crc) {
            send_error(id, EBADMSG, "bad payload CRC32 (frame type 0x%x, %u bytes)", type, len);
            continue;
        }
        handle_request(id, type, in_buf, len);
        reap_children();
    }
}
