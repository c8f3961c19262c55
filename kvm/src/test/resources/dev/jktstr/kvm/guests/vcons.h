/*
 * The virtio-console half of the C test guests: MULTIPORT handshake (DEVICE_READY, PORT_ADD →
 * PORT_READY, CONSOLE_PORT, PORT_NAME, PORT_OPEN) and port 1's queues. Needs vguest.h first.
 */
#ifndef VCONS_H
#define VCONS_H

#define F_MULTIPORT 1
#define CTRL_DEVICE_READY 0
#define CTRL_PORT_ADD 1
#define CTRL_PORT_READY 3
#define CTRL_CONSOLE_PORT 4
#define CTRL_PORT_OPEN 6
#define CTRL_PORT_NAME 7

#define CONS_QAREA 0x400000UL       /* 6 queues × 16 KiB */
#define CTRL_RX_BUF 0x500000UL      /* 16 × 256 B */
#define CTRL_TX_BUF 0x502000UL      /* 16 × 16 B */
#define RX_BUF 0x600000UL           /* RX_SLOTS × CHUNK */
#define TX_BUF 0x700000UL           /* TX_SLOTS × CHUNK */
#define CHUNK 4096
#define RX_SLOTS 32
#define TX_SLOTS 32
#define SPINS 400000000UL

struct ctrl { u32 id; u16 event; u16 value; };

static u64 cons_base = VIRTIO_BASE;
static struct vq cq[6];             /* port 0 rx/tx, control rx/tx, port 1 rx/tx */
static int port1_named, port1_host_open, console_port_seen;
static u32 ports_added;

static int ctrl_send(u32 id, u16 event, u16 value) {
    static u32 slot;
    struct ctrl *m = (struct ctrl *)(CTRL_TX_BUF + 16 * (slot++ % 16));
    u64 a = (u64)m; u32 l = 8; u16 f = 0; u32 uid, ulen;
    m->id = id; m->event = event; m->value = value;
    while (vq_poll(&cq[3], &uid, &ulen)) {}
    if (vq_add(&cq[3], &a, &l, &f, 1) < 0) { fail("control tx queue full"); return -1; }
    vq_kick(&cq[3]);
    return 0;
}

static void ctrl_post(int slot) {
    u64 a = CTRL_RX_BUF + 256 * (u64)slot; u32 l = 256; u16 f = D_WRITE;
    vq_add(&cq[2], &a, &l, &f, 1);
}

/* Handles one control message; returns -1 on a protocol error. */
static int ctrl_handle(struct ctrl *m, u32 len) {
    const char *want = "jktstr.ctl";
    int i;
    if (len < 8) { fail("short control message"); return -1; }
    switch (m->event) {
    case CTRL_PORT_ADD:
        ports_added |= 1u << (m->id & 31);
        return ctrl_send(m->id, CTRL_PORT_READY, 1);
    case CTRL_CONSOLE_PORT:
        if (m->id != 0) { fail("console port is not port 0"); return -1; }
        console_port_seen = 1;
        return 0;
    case CTRL_PORT_NAME:
        if (m->id == 1) {
            const char *name = (const char *)m + 8;
            for (i = 0; want[i]; i++) if (i + 8 >= (int)len || name[i] != want[i]) { fail("port 1 has the wrong name"); return -1; }
            port1_named = 1;
        }
        return 0;
    case CTRL_PORT_OPEN:
        if (m->id == 1) port1_host_open = m->value;
        return 0;
    default:
        return 0;
    }
}

/* Takes one control message if there is one (re-posting its buffer); -1 on a protocol error. */
static int cons_control(void) {
    u32 id, len;
    vbase = cons_base;
    if (!vq_poll(&cq[2], &id, &len)) return 0;
    if (ctrl_handle((struct ctrl *)(CTRL_RX_BUF + 256 * (u64)(id % 16)), len) < 0) return -1;
    ctrl_post((int)(id % 16));
    vq_kick(&cq[2]);
    return 0;
}

/* Negotiates, sets up all six queues, runs the multiport handshake and opens port 1. */
static int cons_init(void) {
    int i;
    u64 spins = SPINS;
    vbase = cons_base;
    port1_named = port1_host_open = console_port_seen = 0; ports_added = 0;
    if (virtio_negotiate(3, (1u << F_MULTIPORT) | (1u << F_EVENT_IDX)) < 0) return -1;
    /* config: cols u16, rows u16, max_nr_ports u32 */
    if ((rdcfg8(4) | rdcfg8(5) << 8) < 2) { fail("fewer than 2 ports"); return -1; }
    for (i = 0; i < 6; i++) if (vq_init(&cq[i], i, CONS_QAREA + 16384UL * (u64)i) < 0) return -1;
    virtio_driver_ok();
    for (i = 0; i < 16; i++) ctrl_post(i);
    vq_kick(&cq[2]);
    for (i = 0; i < RX_SLOTS; i++) { u64 a = RX_BUF + CHUNK * (u64)i; u32 l = CHUNK; u16 f = D_WRITE; vq_add(&cq[4], &a, &l, &f, 1); }
    vq_kick(&cq[4]);
    if (ctrl_send(0xffffffffu, CTRL_DEVICE_READY, 1) < 0) return -1;
    while (!(port1_named && port1_host_open && console_port_seen && (ports_added & 3) == 3)) {
        if (!spins--) { fail("multiport handshake timed out"); return -1; }
        if (rd32(R_STATUS) & S_NEEDS_RESET) { fail("device needs reset"); return -1; }
        if (cons_control() < 0) return -1;
    }
    return ctrl_send(1, CTRL_PORT_OPEN, 1);
}

#endif
