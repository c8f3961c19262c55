# An interrupt through irqfd: programs the 8259 PIC (IRQ 4 = COM1 at vector 0x24), enables COM1's
# receive interrupt, says "ready", and halts with interrupts on. The handler echoes the received byte
# and powers off.
.include "common.inc"
.code64
.globl _start
_start:
    IDT_GATE 0x24, handler
    PIC_INIT 0xef    # unmask IRQ 4 only
    # COM1: receive-data interrupt, OUT2 (gates the IRQ on PCs)
    mov $COM1+1, %dx
    mov $0x01, %al
    outb %al, %dx
    mov $COM1+4, %dx
    mov $0x08, %al
    outb %al, %dx
    PUTS ready
    sti
1:  hlt
    jmp 1b
handler:
    mov $COM1, %dx
    inb %dx, %al
    outb %al, %dx
    mov $'\n', %al
    outb %al, %dx
    mov $0x20, %al
    outb %al, $0x20
    POWEROFF
2:  hlt
    jmp 2b
ready: .asciz "ready\n"
.balign 16
idtr: .word 256*16-1
      .quad idt
.balign 16
idt: .space 256*16
