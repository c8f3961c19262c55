/*
 * Block I/O on the guest's scratch disk (/dev/vda, attached by the host for scenarios that ask for I/O):
 * IoSyncWrite (O_DIRECT writes, each followed by fdatasync), IoRandRead (O_DIRECT reads at random offsets) and
 * IoConvoy (even workers stream large writes, odd workers issue small synchronous reads that queue behind them).
 * Each worker uses its own slice of the disk. The wake latency is each I/O's time to complete: the task sleeps until
 * the completion interrupt wakes it. In --stdio mode (the agent on the host, for tests) they never touch a disk.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "agent.h"
#include "worker_rt.h"

#define SCRATCH_DISK "/dev/vda"
#define BLOCK 4096u

static void idle(void) { while (!stopping()) sleep_ns(10000000); }

static void io_loop(struct work_params *wp, int writes, size_t io_bytes, int random) {
    int fd = stdio_mode ? -1 : open(SCRATCH_DISK, (writes ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC);
    uint64_t disk = 0;
    if (fd < 0 || ioctl(fd, BLKGETSIZE64, &disk) != 0) { if (fd >= 0) close(fd); idle(); return; }
    uint64_t slice = disk / wp->count / BLOCK * BLOCK, base = slice * wp->index, at = 0;
    io_bytes = (io_bytes + BLOCK - 1) / BLOCK * BLOCK;
    void *buf = NULL;
    if (slice < io_bytes || posix_memalign(&buf, BLOCK, io_bytes) != 0) { close(fd); idle(); return; }
    for (size_t i = 0; i < io_bytes; i++) ((uint8_t *) buf)[i] = (uint8_t) (i * 31 + wp->index);
    uint64_t positions = slice / io_bytes;
    while (!stopping()) {
        uint64_t off = base + (random ? next_rand() % positions : at++ % positions) * io_bytes;
        uint64_t t0 = now_ns();
        ssize_t n = writes ? pwrite(fd, buf, io_bytes, (off_t) off) : pread(fd, buf, io_bytes, (off_t) off);
        if (n != (ssize_t) io_bytes || (writes && fdatasync(fd) != 0)) break;
        wake_sample(now_ns() - t0);
        restart_gap();
        checkpoint(1);
    }
    free(buf);
    close(fd);
    idle(); /* a failed disk leaves an idle worker, not a dead one */
}

int run_io(struct work_params *wp) {
    uint32_t p1 = wp->p1;
    switch (wp->type) {
    case AGENT_WORK_IO_SYNC_WRITE: io_loop(wp, 1, (size_t) (p1 ? p1 : 4) * 1024u, 0); return 1;
    case AGENT_WORK_IO_RAND_READ: io_loop(wp, 0, (size_t) (p1 ? p1 : 4) * 1024u, 1); return 1;
    case AGENT_WORK_IO_CONVOY: /* p1 KiB per large write (default 1024), p2 KiB per small read (default 4) */
        if (wp->index % 2 == 0) io_loop(wp, 1, (size_t) (p1 ? p1 : 1024) * 1024u, 0);
        else io_loop(wp, 0, (size_t) (wp->p2 ? wp->p2 : 4) * 1024u, 1);
        return 1;
    default: return 0;
    }
}
