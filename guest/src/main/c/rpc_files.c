/* The file requests: READ_FILE, WRITE_FILE with its WRITE_DATA frames, READ_KMSG. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "agent_protocol.h"
#include "frames.h"
#include "rpc.h"

#define KMSG_RECORD_MAX 8192u

void do_read_file(uint32_t id, struct in *c) {
    char *path = get_str(c);
    uint64_t max = get_u64(c);
    if (c->bad || !path) { send_error(id, EINVAL, "malformed READ_FILE request"); free(path); return; }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { send_error(id, errno, "open %s: %s", path, strerror(errno)); free(path); return; }
    uint64_t total = 0;
    for (;;) {
        struct out o = payload();
        ssize_t r = read(fd, o.p, AGENT_DATA_CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { send_error(id, errno, "read %s: %s", path, strerror(errno)); goto done; }
        if (r == 0) break;
        o.len = (size_t) r;
        total += (uint64_t) r;
        if (total > max) { /* endless files (/dev/zero, trace_pipe) stop here */
            send_error(id, EFBIG, "%s is larger than the %llu bytes the host accepts", path, (unsigned long long) max);
            goto done;
        }
        send_frame(id, AGENT_MSG_DATA, &o);
    }
    struct out o = payload();
    put_u64(&o, total);
    send_frame(id, AGENT_MSG_OK, &o);
done:
    close(fd);
    free(path);
}

/* One WRITE_FILE at a time; its WRITE_DATA frames follow with the same id. */
static struct { uint32_t id; int active, fd, failed; uint64_t remaining; char *path; } wr;

static void write_finish(void) {
    if (wr.fd >= 0) close(wr.fd);
    free(wr.path);
    wr.fd = -1; wr.path = NULL; wr.active = 0;
}

void do_write_file(uint32_t id, struct in *c) {
    char *path = get_str(c);
    uint32_t mode = get_u32(c);
    uint64_t size = get_u64(c);
    if (c->bad || !path) { send_error(id, EINVAL, "malformed WRITE_FILE request"); free(path); return; }
    if (wr.active) { logmsg("WRITE_FILE %u abandons unfinished write %u", id, wr.id); write_finish(); }
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) { *slash = 0; mkdir_p(parent, 0755); }
    wr.id = id; wr.active = 1; wr.failed = 0; wr.remaining = size; wr.path = path;
    wr.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 07777);
    if (wr.fd < 0 || fchmod(wr.fd, mode & 07777) != 0) {
        wr.failed = 1;
        send_error(id, errno, "open %s: %s", path, strerror(errno));
    }
    if (size == 0) {
        if (!wr.failed) send_ok_empty(id);
        write_finish();
    }
}

void do_write_data(uint32_t id, const uint8_t *p, uint32_t len) {
    if (!wr.active || wr.id != id) { send_error(id, EINVAL, "no WRITE_FILE in progress for id %u", id); return; }
    if (len > wr.remaining) {
        if (!wr.failed) send_error(id, EINVAL, "WRITE_DATA exceeds the announced size of %s", wr.path);
        write_finish();
        return;
    }
    wr.remaining -= len;
    if (!wr.failed && write_all(wr.fd, p, len) < 0) {
        wr.failed = 1;
        send_error(id, errno, "write %s: %s", wr.path, strerror(errno));
    }
    if (wr.remaining == 0) {
        if (!wr.failed) send_ok_empty(id);
        write_finish();
    }
}

void write_file_abandon(void) {
    if (wr.active) write_finish();
}

void do_read_kmsg(uint32_t id) {
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) { send_error(id, errno, "open /dev/kmsg: %s", strerror(errno)); return; }
    /* Records go straight into the response: count first, patched at the end. */
    struct out o = payload();
    put_u32(&o, 0);
    uint32_t count = 0;
    for (;;) {
        char rec[KMSG_RECORD_MAX];
        ssize_t r = read(fd, rec, sizeof rec);
        if (r < 0 && (errno == EPIPE || errno == EINTR)) continue; /* overwritten record: skip */
        if (r <= 0) break;
        while (r > 0 && rec[r - 1] == '\n') r--;
        if (o.cap - o.len < (size_t) r + 4) break; /* keep the response within one frame */
        put_bytes(&o, rec, (size_t) r);
        count++;
    }
    close(fd);
    uint8_t b[4] = { count, count >> 8, count >> 16, count >> 24 };
    memcpy(o.p, b, 4);
    send_frame(id, AGENT_MSG_OK, &o);
}
