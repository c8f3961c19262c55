# Loads an empty IDT and raises #UD: no handler, no double-fault handler, the CPU shuts down.
.code64
.globl _start
_start:
    lidt idtr(%rip)
    ud2
idtr: .word 0
      .quad 0
