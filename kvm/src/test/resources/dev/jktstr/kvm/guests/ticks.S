# Counts PIT interrupts: channel 0 as a 1 kHz rate generator, IRQ 0 through the 8259 (vector 0x20) and LAPIC LINT0
# (ExtINT); the handler counts in RAM (the quadword at TICKS) and writes every 16th count to COM1 as "t XXXXXXXX".
# The vCPU halts between ticks, so after a snapshot only restored PIT, PIC, LAPIC and MP state make it tick on.
.include "common.inc"
.set TICKS, 0x200008
.code64
.globl _start
_start:
    IDT_GATE 0x20, handler
    PIC_INIT 0xfe    # unmask IRQ 0 only
    # PIT channel 0: lobyte/hibyte, mode 2 (rate generator), divisor 1193 (1 kHz)
    mov $0x34, %al
    outb %al, $0x43
    mov $(1193 & 0xff), %al
    outb %al, $0x40
    mov $(1193 >> 8), %al
    outb %al, $0x40
    sti
1:  hlt
    jmp 1b
handler:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    incq TICKS
    testq $15, TICKS
    jnz 2f
    PUTHEX32 't', TICKS
2:  mov $0x20, %al
    outb %al, $0x20
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    iretq
.balign 16
idtr: .word 256*16-1
      .quad idt
.balign 16
idt: .space 256*16
