# Writes a greeting to COM1, then powers off through the ACPI port.
.include "common.inc"
.code64
.globl _start
_start:
    PUTS msg
    POWEROFF
1:  hlt
    jmp 1b
msg: .asciz "hello from a jktstr test guest\n"
