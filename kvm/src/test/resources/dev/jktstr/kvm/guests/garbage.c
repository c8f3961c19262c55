/*
 * A hostile guest: writes pseudo-random values of every width to every port our VMM claims (serial
 * ports, i8042, CMOS, post code) and to every register of every virtio-mmio window, then reads them
 * all back, then powers off. The VMM must survive it: no exception escapes, devices fail safely.
 * The ACPI power port 0x3C0 is left out (any write there is a power-off or a reset by design).
 */
#include "vguest.h"

static u64 seed = 0x9E3779B97F4A7C15UL;
static u64 next(void) { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static const u16 ports[][2] = {{0x3F8, 8}, {0x2F8, 8}, {0x60, 5}, {0x70, 2}, {0x80, 1}};

void guest_main(void) {
    for (int round = 0; round < 64; round++) {
        for (unsigned p = 0; p < sizeof ports / sizeof ports[0]; p++) {
            for (u16 port = ports[p][0]; port < ports[p][0] + ports[p][1]; port++) {
                if (port == 0x64) continue; /* 0xFE there resets the machine: tested elsewhere */
                u64 r = next();
                switch (r & 3) {
                case 0: outb(port, (u8)(r >> 8)); break;
                case 1: outw(port, (u16)(r >> 8)); break;
                default: outl(port, (u32)(r >> 8)); break;
                }
                (void)inl(port);
            }
        }
        for (int slot = 0; slot < 8; slot++) {
            volatile u8 *base = (volatile u8 *)(VIRTIO_BASE + 0x1000UL * slot);
            for (u64 off = 0; off < 0x200; off += 4) {
                u64 r = next();
                switch (r & 3) {
                case 0: *(volatile u8 *)(base + off + (r >> 8 & 3)) = (u8)(r >> 16); break;
                case 1: *(volatile u16 *)(base + off + (r >> 8 & 2)) = (u16)(r >> 16); break;
                case 2: *(volatile u32 *)(base + off) = (u32)(r >> 16); break;
                default: *(volatile u64 *)(base + (off & ~7UL)) = r; break;
                }
                (void)*(volatile u32 *)(base + off);
            }
        }
    }
    outb(0x3FB, 0x03); /* LCR: 8N1, divisor latch off, so THR is THR again */
    outb(0x3FC, 0x00); /* MCR: no loopback */
    const char *done = "garbage done\n";
    while (*done) outb(0x3F8, (u8)*done++);
}
