/*
 * virtio interrupts through irqfd: the 8259 PIC routes IRQ 5 (virtio slot 0) to vector 0x25; the
 * guest issues REQUESTS virtio-blk reads and, instead of polling, halts with interrupts on until the
 * handler (which reads and acknowledges InterruptStatus and sends EOI) has run and the used ring moved.
 * Reports "RESULT requests=N interrupts=M vring_bits=V wakes=W", "DONE", or "FAIL why": W counts the requests
 * whose completion found the guest halted (only IRQ 5 is unmasked and no timer runs, so only the virtio
 * interrupt can have woken it). Two completions may share one edge interrupt, as on real hardware.
 */
#include "vguest.h"
#include "vblkdrv.h"

#define REQUESTS 64
#define VECTOR 0x25
#define BUF 0xA00000UL

struct gate { u16 off0; u16 sel; u16 flags; u16 off1; u32 off2; u32 zero; };
static struct gate idt[256] __attribute__((aligned(16)));
static struct __attribute__((packed)) { u16 limit; u64 base; } idtr;
static volatile u64 interrupts, vring_bits, wakes;

void on_interrupt(void) {
    u32 status;
    vbase = blk_base;
    status = rd32(R_INTERRUPT_STATUS);
    wr32(R_INTERRUPT_ACK, status);
    interrupts++;
    if (status & 1) vring_bits++;
    outb(0x20, 0x20); /* EOI to the master PIC */
}

void isr(void);
__asm__(".text\n.globl isr\nisr:\n"
        "push %rax\npush %rcx\npush %rdx\npush %rsi\npush %rdi\npush %r8\npush %r9\npush %r10\npush %r11\n"
        "call on_interrupt\n"
        "pop %r11\npop %r10\npop %r9\npop %r8\npop %rdi\npop %rsi\npop %rdx\npop %rcx\npop %rax\n"
        "iretq\n");

static void setup_interrupts(void) {
    u64 h = (u64)isr;
    idt[VECTOR].off0 = (u16)h; idt[VECTOR].sel = 0x08; idt[VECTOR].flags = 0x8e00;
    idt[VECTOR].off1 = (u16)(h >> 16); idt[VECTOR].off2 = (u32)(h >> 32); idt[VECTOR].zero = 0;
    idtr.limit = sizeof idt - 1; idtr.base = (u64)idt;
    __asm__ volatile("lidt %0" : : "m"(idtr));
    *(volatile u32 *)0xfee000f0UL = 0x1ff;          /* LAPIC on, so LINT0 ExtINT delivers the PIC */
    outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01); /* ICW1-4: vectors 0x20-0x27, edge */
    outb(0x21, (u8)~(1u << 5));                     /* only IRQ 5 */
    outb(0xa1, 0xff);
}

void guest_main(void) {
    u32 id, len; int i;
    u64 spins; int halted;
    setup_interrupts();
    if (blk_init() < 0) return;
    for (i = 0; i < REQUESTS; i++) {
        struct req_hdr *h = (struct req_hdr *)HDR;
        u64 addr[3] = {HDR, BUF, HDR + 64};
        u32 lens[3] = {16, 4096, 1};
        u16 flags[3] = {0, D_WRITE, D_WRITE};
        h->type = T_IN; h->reserved = 0; h->sector = (u64)i * 8;
        if (vq_add(&bq, addr, lens, flags, 3) < 0) { fail("queue full"); return; }
        vq_kick(&bq);
        for (spins = 0, halted = 0;; spins++) {
            __asm__ volatile("cli" ::: "memory");
            if (bq.used[1] != bq.last_used) break;
            if (spins > 100000000UL) { fail("no interrupt"); return; }
            __asm__ volatile("sti; hlt" ::: "memory");   /* sti's shadow: no wake-up lost between them */
            halted = 1;
        }
        wakes += halted;
        __asm__ volatile("sti" ::: "memory");
        if (!vq_poll(&bq, &id, &len)) { fail("used ring moved but nothing to take"); return; }
        if (*(volatile u8 *)(HDR + 64) != ST_OK) { fail("read failed"); return; }
    }
    __asm__ volatile("cli");
    puts("RESULT requests="); putdec(REQUESTS); puts(" interrupts="); putdec(interrupts);
    puts(" vring_bits="); putdec(vring_bits); puts(" wakes="); putdec(wakes); puts("\n");
    puts("DONE\n");
}
