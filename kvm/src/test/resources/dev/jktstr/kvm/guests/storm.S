# An exit storm on nothing: reads unclaimed MMIO in the hole and writes an unclaimed port, forever.
.code64
.globl _start
_start:
    mov $0xe0000000, %edi
1:  mov (%rdi), %rax
    mov %rax, %r13
    outb %al, $0x99
    jmp 1b
