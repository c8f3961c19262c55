/*
 * virtio-blk test guest. Writable disk: writes TOTAL bytes of the pattern from sector 0 in 64 KiB
 * requests (every other one through an indirect table), flushes, reads everything back and checks it,
 * asks the device id, reads past the end (must fail), then resets, re-initialises and reads again.
 * Read-only disk (VIRTIO_BLK_F_RO offered): reads must return the pattern, a write must fail.
 * Reports "RESULT key=value ..." lines and "DONE", or "FAIL why".
 */
#include "vguest.h"

#include "vblkdrv.h"

#define WRITE_BUF 0xA00000UL        /* the pattern, TOTAL bytes */
#define READ_BUF 0xC00000UL         /* what was read back */
#define TOTAL (1UL << 20)
#define REQ (64UL << 10)

void guest_main(void) {
    u64 i, expect = CHECKSUM_SEED, sum;
    u64 *w = (u64 *)WRITE_BUF;
    if (blk_init() < 0) return;
    puts("RESULT capacity="); putdec(capacity); puts(" read_only="); putdec((u64)read_only); puts("\n");
    if (capacity * 512 < TOTAL) { fail("disk smaller than 1 MiB"); return; }
    for (i = 0; i < TOTAL / 8; i++) w[i] = pattern(i);
    expect = checksum(w, TOTAL, expect);
    if (read_only) {
        int st = blk_request(T_OUT, 0, WRITE_BUF, 4096, 0);
        puts("RESULT write_status="); putdec((u64)st); puts("\n");
        if (st == ST_OK) { fail("write to a read-only disk succeeded"); return; }
    } else {
        for (i = 0; i < TOTAL / REQ; i++) {
            if (blk_request(T_OUT, i * (REQ / 512), WRITE_BUF + i * REQ, REQ, (int)(i & 1)) != ST_OK) { fail("write failed"); return; }
        }
        if (blk_request(T_FLUSH, 0, 0, 0, 0) != ST_OK) { fail("flush failed"); return; }
    }
    memset((void *)READ_BUF, 0, 64);
    for (i = 0; i < TOTAL / REQ; i++) {
        if (blk_request(T_IN, i * (REQ / 512), READ_BUF + i * REQ, REQ, (int)(i & 1)) != ST_OK) { fail("read failed"); return; }
    }
    sum = checksum((const u64 *)READ_BUF, TOTAL, CHECKSUM_SEED);
    puts("RESULT sum="); puthex(sum); puts(" expect="); puthex(expect); puts("\n");
    if (sum != expect) { fail("read back differs from what was written"); return; }
    char *id = (char *)(HDR + 128);
    memset(id, 0, 21);
    if (blk_request(T_GET_ID, 0, (u64)id, 20, 0) != ST_OK) { fail("get id failed"); return; }
    puts("RESULT id="); puts(id); puts("\n");
    int past = blk_request(T_IN, capacity, READ_BUF, 512, 0);
    puts("RESULT past_end_status="); putdec((u64)past); puts("\n");
    if (past == ST_OK) { fail("read past the end succeeded"); return; }
    /* Reset, re-initialise, read the first request again. */
    wr32(R_STATUS, 0);
    if (blk_init() < 0) return;
    memset((void *)READ_BUF, 0, REQ);
    if (blk_request(T_IN, 0, READ_BUF, REQ, 0) != ST_OK) { fail("read after reset failed"); return; }
    sum = checksum((const u64 *)READ_BUF, REQ, CHECKSUM_SEED);
    puts("RESULT reset_sum="); puthex(sum); puts(" reset_expect="); puthex(checksum(w, REQ, CHECKSUM_SEED)); puts("\n");
    puts("DONE\n");
}
