# Spins forever counting in RBX with a marker in R12: pause/resume and register reads.
.code64
.globl _start
_start:
    mov $0x1badb002, %r12
    xor %ebx, %ebx
1:  inc %rbx
    jmp 1b
