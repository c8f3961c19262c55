/*
 * virtio throughput guest for benchmarks/run.sh virtio-guest: console in slot 0, disk in slot 1.
 * Streams BYTES out on port 1 (the host reads and discards), then writes BYTES sequentially to the
 * disk and reads them back, one REQ-sized request at a time. Prints "MARK <phase>" lines that the
 * host timestamps, and "DONE" or "FAIL why".
 */
#include "vguest.h"
#include "vcons.h"
#include "vblkdrv.h"

#define BYTES (32UL << 20)
#define REQ (128UL << 10)
#define DATA 0xA00000UL

void guest_main(void) {
    u64 sent = 0, i;
    u32 id, len;
    int inflight = 0; u32 next = 0;
    cons_base = VIRTIO_BASE;
    blk_base = VIRTIO_BASE + 0x1000;
    if (cons_init() < 0 || blk_init() < 0) return;
    memset((void *)TX_BUF, 0x5a, CHUNK * TX_SLOTS);
    puts("MARK console-start\n");
    vbase = cons_base;
    while (sent < BYTES || inflight > 0) {
        while (sent < BYTES && inflight < TX_SLOTS) {
            u64 a = TX_BUF + CHUNK * (u64)(next++ % TX_SLOTS); u32 l = CHUNK; u16 f = 0;
            vq_add(&cq[5], &a, &l, &f, 1);
            sent += CHUNK; inflight++;
            vq_kick(&cq[5]);
        }
        while (vq_poll(&cq[5], &id, &len)) inflight--;
    }
    puts("MARK console-end\n");
    puts("MARK blk-write-start\n");
    for (i = 0; i < BYTES / REQ; i++) if (blk_request(T_OUT, i * (REQ / 512), DATA, REQ, 0) != ST_OK) { fail("write"); return; }
    if (blk_request(T_FLUSH, 0, 0, 0, 0) != ST_OK) { fail("flush"); return; }
    puts("MARK blk-write-end\n");
    puts("MARK blk-read-start\n");
    for (i = 0; i < BYTES / REQ; i++) if (blk_request(T_IN, i * (REQ / 512), DATA, REQ, 0) != ST_OK) { fail("read"); return; }
    puts("MARK blk-read-end\n");
    puts("DONE\n");
}
