/* The virtio-blk half of the C test guests: negotiation and one synchronous request at a time. Needs vguest.h first. */
#ifndef VBLKDRV_H
#define VBLKDRV_H

#define F_RO 5
#define F_FLUSH 9
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define ST_OK 0

#define BLK_QAREA 0x440000UL
#define HDR 0x540000UL              /* request header, status at +64, id at +128 */
#define TABLES 0x550000UL           /* indirect tables */
#define BLK_SPINS 400000000UL

struct req_hdr { u32 type; u32 reserved; u64 sector; };

static u64 blk_base = VIRTIO_BASE;
static struct vq bq;
static u64 capacity;
static int read_only;

static int blk_init(void) {
    u32 f0;
    int i;
    vbase = blk_base;
    wr32(R_DEVICE_FEATURES_SEL, 0);
    f0 = rd32(R_DEVICE_FEATURES);
    read_only = (f0 >> F_RO) & 1;
    /* Indirect descriptors are required (the tests use them); FLUSH and RO are taken when offered. */
    if (virtio_negotiate(2, (1u << F_INDIRECT_DESC) | (f0 & ((1u << F_FLUSH) | (1u << F_RO)))) < 0) return -1;
    capacity = 0;
    for (i = 7; i >= 0; i--) capacity = capacity << 8 | rdcfg8((u64)i);
    if (vq_init(&bq, 0, BLK_QAREA) < 0) return -1;
    virtio_driver_ok();
    return 0;
}

/* One request; returns the status byte the device wrote (0xff when it wrote none or failed). */
static int blk_request(u32 type, u64 sector, u64 data, u32 len, int indirect) {
    struct req_hdr *h = (struct req_hdr *)HDR;
    volatile u8 *status = (volatile u8 *)(HDR + 64);
    u64 addr[3] = {HDR, data, HDR + 64};
    u32 lens[3] = {16, len, 1};
    u16 flags[3] = {0, type == T_OUT ? 0 : D_WRITE, D_WRITE};
    u32 id, used_len;
    int n = 3, head;
    vbase = blk_base;
    h->type = type; h->reserved = 0; h->sector = sector;
    *status = 0xff;
    if (len == 0) { addr[1] = HDR + 64; lens[1] = 1; flags[1] = D_WRITE; n = 2; }
    head = indirect ? vq_add_indirect(&bq, (struct desc *)TABLES, addr, lens, flags, n) : vq_add(&bq, addr, lens, flags, n);
    if (head < 0) { fail("queue full"); return 0xff; }
    vq_kick(&bq);
    if (!vq_wait(&bq, &id, &used_len, BLK_SPINS)) return 0xff;
    if (id != (u32)head) { fail("used id is not the request's head"); return 0xff; }
    return *status;
}

#endif
