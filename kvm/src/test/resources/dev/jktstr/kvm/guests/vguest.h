/*
 * A freestanding virtio-mmio (version 2) split-ring driver for the C test guests: polls, never takes
 * interrupts, reports on COM1 with lines the host test parses ("RESULT key=value ...", "FAIL why").
 * Everything lives at fixed guest-physical addresses (identity mapped); no libc.
 */
#ifndef VGUEST_H
#define VGUEST_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;

#define VIRTIO_BASE 0xD0000000UL

#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0
#define R_CONFIG 0x100

#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40

#define F_INDIRECT_DESC 28
#define F_EVENT_IDX 29
#define F_VERSION_1 32

#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4

#define QSIZE 64

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
/* The device being driven: slot 0 unless a guest drives several (then it switches before each call). */
static u64 vbase = VIRTIO_BASE;
static inline u32 rd32(u64 off) { return *(volatile u32 *)(vbase + off); }
static inline void wr32(u64 off, u32 v) { *(volatile u32 *)(vbase + off) = v; }
static inline u8 rdcfg8(u64 off) { return *(volatile u8 *)(vbase + R_CONFIG + off); }
static inline void barrier(void) { __asm__ volatile("mfence" ::: "memory"); }

void *memset(void *d, int c, unsigned long n) { u8 *p = d; while (n--) *p++ = (u8)c; return d; }
void *memcpy(void *d, const void *s, unsigned long n) { u8 *p = d; const u8 *q = s; while (n--) *p++ = *q++; return d; }

static void puts(const char *s) { while (*s) outb(0x3f8, (u8)*s++); }
static void puthex(u64 v) {
    char b[17]; int i;
    for (i = 15; i >= 0; i--) { b[i] = "0123456789abcdef"[v & 15]; v >>= 4; }
    b[16] = 0; puts(b);
}
static void putdec(u64 v) {
    char b[21]; int i = 20; b[i] = 0;
    do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    puts(b + i);
}
static void fail(const char *why) { puts("FAIL "); puts(why); puts("\n"); }

struct desc { u64 addr; u32 len; u16 flags; u16 next; };
struct used_elem { u32 id; u32 len; };

/* One split virtqueue of QSIZE entries: descriptor table, avail ring, used ring, in one 16 KiB area. */
struct vq {
    int index;
    struct desc *desc;
    volatile u16 *avail;      /* flags, idx, ring[QSIZE], used_event */
    volatile u16 *used;       /* flags, idx, then used_elem[QSIZE], avail_event */
    u16 free_head;
    u16 num_free;
    u16 last_used;
    u16 avail_idx;
};

static volatile struct used_elem *used_ring(struct vq *q) { return (volatile struct used_elem *)(q->used + 2); }

/* Sets up queue {@code index} in {@code area} (16 KiB, 4 KiB aligned). Returns 0 or -1. */
static int vq_init(struct vq *q, int index, u64 area) {
    int i;
    memset((void *)area, 0, 16384);
    q->index = index;
    q->desc = (struct desc *)area;
    q->avail = (volatile u16 *)(area + 16 * QSIZE);
    q->used = (volatile u16 *)(area + 8192);
    for (i = 0; i < QSIZE; i++) q->desc[i].next = (u16)(i + 1);
    q->free_head = 0; q->num_free = QSIZE; q->last_used = 0; q->avail_idx = 0;
    wr32(R_QUEUE_SEL, (u32)index);
    if (rd32(R_QUEUE_NUM_MAX) < QSIZE) { fail("queue max size too small"); return -1; }
    if (rd32(R_QUEUE_READY) != 0) { fail("queue ready before setup"); return -1; }
    wr32(R_QUEUE_NUM, QSIZE);
    wr32(R_QUEUE_DESC, (u32)area); wr32(R_QUEUE_DESC + 4, 0);
    wr32(R_QUEUE_DRIVER, (u32)(u64)q->avail); wr32(R_QUEUE_DRIVER + 4, 0);
    wr32(R_QUEUE_DEVICE, (u32)(u64)q->used); wr32(R_QUEUE_DEVICE + 4, 0);
    wr32(R_QUEUE_READY, 1);
    return 0;
}

/* Queues a chain of n buffers (flags per buffer: D_WRITE for device-writable); returns the head or -1. */
static int vq_add(struct vq *q, const u64 *addr, const u32 *len, const u16 *flags, int n) {
    int i; u16 head, d;
    if (q->num_free < n) return -1;
    head = d = q->free_head;
    for (i = 0; i < n; i++) {
        q->desc[d].addr = addr[i];
        q->desc[d].len = len[i];
        q->desc[d].flags = (u16)(flags[i] | (i + 1 < n ? D_NEXT : 0));
        if (i + 1 < n) d = q->desc[d].next;
    }
    q->free_head = q->desc[d].next;
    q->num_free = (u16)(q->num_free - n);
    q->avail[2 + q->avail_idx % QSIZE] = head;
    barrier();
    q->avail_idx++;
    q->avail[1] = q->avail_idx;
    barrier();
    return head;
}

/* Queues one indirect descriptor pointing at a table of n descriptors built at {@code table}. */
static int vq_add_indirect(struct vq *q, struct desc *table, const u64 *addr, const u32 *len, const u16 *flags, int n) {
    int i;
    u64 a = (u64)table; u32 l = (u32)(16 * n); u16 f = D_INDIRECT;
    for (i = 0; i < n; i++) {
        table[i].addr = addr[i]; table[i].len = len[i];
        table[i].flags = (u16)(flags[i] | (i + 1 < n ? D_NEXT : 0));
        table[i].next = (u16)(i + 1);
    }
    return vq_add(q, &a, &l, &f, 1);
}

static void vq_kick(struct vq *q) { barrier(); wr32(R_QUEUE_NOTIFY, (u32)q->index); }

/* Takes one used element, freeing its chain; returns 1 and sets id and len, or 0 when none is used yet. */
static int vq_poll(struct vq *q, u32 *id, u32 *len) {
    u16 d; volatile struct used_elem *e;
    barrier();
    if (q->used[1] == q->last_used) return 0;
    e = &used_ring(q)[q->last_used % QSIZE];
    *id = e->id; *len = e->len;
    q->last_used++;
    q->avail[2 + QSIZE] = q->last_used; /* used_event: interrupt after this one (EVENT_IDX) */
    d = (u16)*id;
    if (d >= QSIZE) return 1;
    for (;;) {
        q->num_free++;
        if (!(q->desc[d].flags & D_NEXT)) break;
        d = q->desc[d].next;
        if (d >= QSIZE) break;
    }
    q->desc[d].next = q->free_head;
    q->free_head = (u16)*id;
    return 1;
}

/* Busy-waits for a used element; fails after ~spins polls (the device should never take that long). */
static int vq_wait(struct vq *q, u32 *id, u32 *len, u64 spins) {
    while (spins--) {
        if (vq_poll(q, id, len)) return 1;
        /* A register read is an exit to the VMM: look at the status only now and then. */
        if ((spins & 4095) == 0 && (rd32(R_STATUS) & S_NEEDS_RESET)) { fail("device needs reset"); return 0; }
    }
    fail("timed out waiting for the device");
    return 0;
}

/* Resets and negotiates: VERSION_1 plus {@code wanted} (low 32 bits); returns 0 or -1. */
static int virtio_negotiate(u32 device_id, u32 wanted) {
    u32 f0, f1;
    if (rd32(R_MAGIC) != 0x74726976) { fail("bad magic"); return -1; }
    if (rd32(R_VERSION) != 2) { fail("not virtio-mmio version 2"); return -1; }
    if (rd32(R_DEVICE_ID) != device_id) { fail("unexpected device id"); return -1; }
    wr32(R_STATUS, 0);
    if (rd32(R_STATUS) != 0) { fail("reset did not clear status"); return -1; }
    wr32(R_STATUS, S_ACKNOWLEDGE);
    wr32(R_STATUS, S_ACKNOWLEDGE | S_DRIVER);
    wr32(R_DEVICE_FEATURES_SEL, 0); f0 = rd32(R_DEVICE_FEATURES);
    wr32(R_DEVICE_FEATURES_SEL, 1); f1 = rd32(R_DEVICE_FEATURES);
    if (!(f1 & 1)) { fail("device lacks VERSION_1"); return -1; }
    if ((f0 & wanted) != wanted) { fail("device lacks a wanted feature"); return -1; }
    wr32(R_DRIVER_FEATURES_SEL, 0); wr32(R_DRIVER_FEATURES, wanted);
    wr32(R_DRIVER_FEATURES_SEL, 1); wr32(R_DRIVER_FEATURES, 1);
    wr32(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
    if (!(rd32(R_STATUS) & S_FEATURES_OK)) { fail("FEATURES_OK refused"); return -1; }
    return 0;
}

static void virtio_driver_ok(void) { wr32(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK); }

/* A cheap checksum the host recomputes: 64-bit FNV-1a over 8-byte words. */
static u64 checksum(const u64 *p, u64 bytes, u64 h) {
    u64 i;
    for (i = 0; i < bytes / 8; i++) { h ^= p[i]; h *= 0x100000001b3UL; }
    return h;
}
#define CHECKSUM_SEED 0xcbf29ce484222325UL

/* The test pattern: word i of the stream is a xorshift of its index, so any offset can be regenerated. */
static inline u64 pattern(u64 i) { u64 x = i * 0x9E3779B97F4A7C15UL + 1; x ^= x >> 29; x *= 0xBF58476D1CE4E5B9UL; return x ^ (x >> 32); }

#endif
