# PIO and MMIO exits: reads port TEST_PORT+2 (4 bytes) and MMIO 0xD0000000 (8 bytes), writes
# their sum-marks back: OUT TEST_PORT (1, 2, 4 bytes), MMIO writes of 1, 2, 4, 8 bytes at
# 0xD0000010, then the values read, then a string OUT (rep outsb) of "abc" to TEST_PORT+4.
.include "common.inc"
.code64
.globl _start
_start:
    mov $TEST_PORT, %dx
    mov $0x11, %al
    outb %al, %dx
    mov $0x2222, %ax
    outw %ax, %dx
    mov $0x33333333, %eax
    outl %eax, %dx
    mov $0xD0000010, %rdi
    movb $0x44, (%rdi)
    movw $0x5555, (%rdi)
    movl $0x66666666, (%rdi)
    mov $0x7777777777777777, %rax
    mov %rax, (%rdi)
    # read back: PIO in from TEST_PORT+2, MMIO read from 0xD0000000; echo both
    mov $TEST_PORT+2, %dx
    inl %dx, %eax
    mov $TEST_PORT+6, %dx
    outl %eax, %dx
    mov $0xD0000000, %rdi
    mov (%rdi), %rax
    mov %rax, 8(%rdi)
    lea str(%rip), %rsi
    mov $3, %rcx
    mov $TEST_PORT+4, %dx
    rep outsb
    POWEROFF
1:  hlt
    jmp 1b
str: .ascii "abc"
