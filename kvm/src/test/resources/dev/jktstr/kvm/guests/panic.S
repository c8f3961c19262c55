# Says what a panicking Linux says, then resets through the i8042 as panic=-1 with reboot=k does.
.include "common.inc"
.code64
.globl _start
_start:
    PUTS msg
    mov $0xfe, %al
    outb %al, $0x64
1:  hlt
    jmp 1b
msg: .asciz "Kernel panic - not syncing: Attempted to kill init!\n"
