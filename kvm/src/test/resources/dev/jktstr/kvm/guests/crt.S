# Entry of the C test guests: 64-bit mode, identity-mapped 0-4 GiB, RSP set by the VMM, interrupts off.
.section .text.entry, "ax"
.code64
.globl _start
_start:
    and $-16, %rsp
    call guest_main
    # guest_main returned: power off through the ACPI port.
    mov $0x34, %al
    mov $0x3c0, %dx
    outb %al, %dx
1:  hlt
    jmp 1b
.section .note.GNU-stack, "", @progbits
