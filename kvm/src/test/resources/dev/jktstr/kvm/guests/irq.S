# An interrupt through irqfd: programs the 8259 PIC (IRQ 4 = COM1 at vector 0x24), enables COM1's
# receive interrupt, says "ready", and halts with interrupts on. The handler echoes the received byte
# and powers off.
.include "common.inc"
.code64
.globl _start
_start:
    # IDT gate 0x24 -> handler
    lea handler(%rip), %rax
    lea idt(%rip), %rdi
    add $0x24*16, %rdi
    mov %ax, (%rdi)
    movw $0x08, 2(%rdi)
    movw $0x8e00, 4(%rdi)
    shr $16, %rax
    mov %ax, 6(%rdi)
    shr $16, %rax
    mov %eax, 8(%rdi)
    movl $0, 12(%rdi)
    lidt idtr(%rip)
    # LAPIC software enable (SVR), so LINT0 ExtINT delivery is on whatever the reset state
    mov $0xfee000f0, %edi
    movl $0x1ff, (%rdi)
    # 8259: ICW1..4, vectors 0x20-0x27, unmask IRQ 4 only; slave all masked
    mov $0x11, %al
    outb %al, $0x20
    mov $0x20, %al
    outb %al, $0x21
    mov $0x04, %al
    outb %al, $0x21
    mov $0x01, %al
    outb %al, $0x21
    mov $0xef, %al
    outb %al, $0x21
    mov $0xff, %al
    outb %al, $0xa1
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
