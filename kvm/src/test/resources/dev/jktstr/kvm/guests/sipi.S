# Secondary CPU bring-up the way Linux does it: the BSP (entered by the VMM) copies a real-mode
# trampoline to 0x8000, sends INIT and SIPI (vector 0x08) to APIC id 1 through its local APIC, and
# waits for the AP to count in. The AP starts in real mode at 0x8000, switches to long mode with the
# VMM's GDT and page tables, reports its APIC id on TEST_PORT and halts; the BSP then powers off.
.include "common.inc"
.set TRAMPOLINE, 0x8000
.set LAPIC, 0xfee00000
.code64
.globl _start
_start:
    # copy the trampoline
    lea trampoline(%rip), %rsi
    mov $TRAMPOLINE, %edi
    mov $(trampoline_end - trampoline), %ecx
    rep movsb
    # software-enable the local APIC
    mov $LAPIC, %edi
    movl $0x1ff, 0xf0(%rdi)
    # INIT to APIC id 1, then SIPI with vector 0x08 (start at 0x8000)
    movl $(1 << 24), 0x310(%rdi)
    movl $0x00004500, 0x300(%rdi)
    movl $(1 << 24), 0x310(%rdi)
    movl $0x00004608, 0x300(%rdi)
    # report the BSP, then wait for the AP
    mov $1, %eax
    cpuid
    shr $24, %ebx
    mov %ebx, %eax
    mov $TEST_PORT, %dx
    outl %eax, %dx
1:  pause
    cmpl $1, ap_count
    jne 1b
    POWEROFF
2:  hlt
    jmp 2b

ap_main:
    mov $1, %eax
    cpuid
    shr $24, %ebx
    mov %ebx, %eax
    mov $TEST_PORT, %dx
    outl %eax, %dx
    lock incl ap_count
    cli
3:  hlt
    jmp 3b

.balign 8
ap_count: .long 0

# Position-dependent on TRAMPOLINE: every address below is computed relative to it.
.balign 16
trampoline:
.code16
    cli
    xor %ax, %ax
    mov %ax, %ds
    lgdtl TRAMPOLINE + (gdtr - trampoline)
    mov $0x20, %eax                 # CR4.PAE
    mov %eax, %cr4
    mov $0x9000, %eax               # the VMM's PML4
    mov %eax, %cr3
    mov $0xc0000080, %ecx           # EFER.LME
    rdmsr
    or $0x100, %eax
    wrmsr
    mov $0x80000031, %eax           # CR0: PG, NE, ET, PE
    mov %eax, %cr0
    ljmpl $0x08, $(TRAMPOLINE + (long_mode - trampoline))
.code64
long_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7f000, %esp
    movabs $ap_main, %rax
    jmp *%rax
.balign 8
gdtr:
    .word 31
    .long 0x500
trampoline_end:
