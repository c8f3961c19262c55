/*
 * virtio-console test guest: multiport handshake, then streams TOTAL bytes of a known pattern out on
 * port 1 ("jktstr.ctl") while taking back what the host echoes, and compares checksums. Then resets
 * the device, re-initialises it and repeats with a smaller stream.
 * Reports: "RESULT phase=N sent=... received=... sum=... expect=..." per phase, "DONE", or "FAIL why".
 */
#include "vguest.h"

#include "vcons.h"

#define RECEIVED 0x800000UL         /* the echoed stream, contiguous */

/* Streams total bytes out on port 1 and collects the echo; returns 0 when the checksums agree. */
static int echo(int phase, u64 total) {
    u64 sent = 0, received = 0, words = 0, expect = CHECKSUM_SEED, sum, spins = SPINS;
    u32 id, len; int inflight = 0; u32 next_tx = 0; u64 i;
    u8 *dst = (u8 *)RECEIVED;
    while (received < total) {
        if (!spins--) { fail("echo timed out"); puts("sent="); putdec(sent); puts(" received="); putdec(received); puts("\n"); return -1; }
        while (sent < total && inflight < TX_SLOTS) {
            u64 *buf = (u64 *)(TX_BUF + CHUNK * (u64)(next_tx++ % TX_SLOTS));
            u64 a = (u64)buf; u32 l = CHUNK; u16 f = 0;
            for (i = 0; i < CHUNK / 8; i++) buf[i] = pattern(words + i);
            expect = checksum(buf, CHUNK, expect);
            words += CHUNK / 8;
            if (vq_add(&cq[5], &a, &l, &f, 1) < 0) { fail("tx queue full"); return -1; }
            sent += CHUNK; inflight++;
            vq_kick(&cq[5]);
        }
        while (vq_poll(&cq[5], &id, &len)) inflight--;
        if (vq_poll(&cq[4], &id, &len)) {
            const u8 *src = (const u8 *)(RX_BUF + CHUNK * (u64)(id % RX_SLOTS));
            u64 a = (u64)src; u32 l = CHUNK; u16 f = D_WRITE;
            if (len > CHUNK || received + len > total) { fail("rx length out of range"); return -1; }
            memcpy(dst + received, src, len);
            received += len;
            vq_add(&cq[4], &a, &l, &f, 1);
            vq_kick(&cq[4]);
        }
        /* Control messages may still arrive (e.g. PORT_OPEN repeats): keep the queue drained. */
        if (cons_control() < 0) return -1;
    }
    sum = checksum((const u64 *)RECEIVED, total, CHECKSUM_SEED);
    puts("RESULT phase="); putdec((u64)phase); puts(" sent="); putdec(sent); puts(" received="); putdec(received);
    puts(" sum="); puthex(sum); puts(" expect="); puthex(expect); puts("\n");
    return sum == expect ? 0 : -1;
}

void guest_main(void) {
    if (cons_init() < 0 || echo(1, 1UL << 20) < 0) return;
    /* Reset and start over: the device forgets queues and ports, the host's streams stay. */
    wr32(R_STATUS, 0);
    wr32(R_QUEUE_SEL, 1);
    if (rd32(R_QUEUE_READY) != 0) { fail("queue still ready after reset"); return; }
    if (cons_init() < 0 || echo(2, 64UL << 10) < 0) return;
    puts("DONE\n");
}
