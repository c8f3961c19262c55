# Every vCPU (entered here by the VMM) reports its APIC id (CPUID.1:EBX[31:24]) on TEST_PORT and
# increments a shared counter; the BSP waits for all (count in TEST_PORT+8) and powers off.
.include "common.inc"
.code64
.globl _start
_start:
    mov $1, %eax
    cpuid
    shr $24, %ebx
    mov %ebx, %eax
    mov $TEST_PORT, %dx
    outl %eax, %dx
    lock incl counter(%rip)
    test %ebx, %ebx
    jnz 2f
    mov $TEST_PORT+8, %dx
    inl %dx, %eax
1:  pause
    cmp counter(%rip), %eax
    jne 1b
    POWEROFF
2:  cli
3:  hlt
    jmp 3b
.balign 8
counter: .long 0
