# Counts in R15, stores each count to RAM (the quadword at COUNTER) and writes it to COM1 as a "c XXXXXXXX" line,
# with a short delay between: a snapshot taken anywhere in the loop must continue the count from the restored
# register (a vCPU that lost its registers would start over at 1) and the restored RAM.
.include "common.inc"
.set COUNTER, 0x200000
.code64
.globl _start
_start:
    xor %r15, %r15
1:  inc %r15
    mov %r15, COUNTER
    PUTHEX32 'c', COUNTER
    mov $20000, %ecx
2:  dec %ecx
    jnz 2b
    jmp 1b
