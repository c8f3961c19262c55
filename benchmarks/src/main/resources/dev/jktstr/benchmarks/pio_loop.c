// The C peer of KvmPioRatio: the same guest (a flat 64-bit binary loaded at 1 MiB, entered in long mode
// with identity-mapped 2 MiB pages) run by a minimal VMM written the usual way. Counts port-I/O exits on
// port 0x500 and prints exits per second between the first and the last of them.
// Usage: pio_loop /dev/kvm guest.bin expected_exits
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM (4UL << 20)
static void die(const char *what) { perror(what); exit(1); }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t db, uint8_t l) {
    memset(s, 0, sizeof *s);
    s->base = 0; s->limit = 0xffffffff; s->selector = sel; s->type = type; s->present = 1;
    s->db = db; s->s = 1; s->l = l; s->g = 1;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s /dev/kvm guest.bin exits\n", argv[0]); return 2; }
    long expected = atol(argv[3]);
    int kvm = open(argv[1], O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("open kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");
    ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL);
    if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) die("KVM_CREATE_IRQCHIP");
    uint8_t *mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) die("mmap");
    struct kvm_userspace_memory_region region = {.slot = 0, .guest_phys_addr = 0, .memory_size = MEM,
                                                 .userspace_addr = (uint64_t) mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");
    FILE *f = fopen(argv[2], "rb");
    if (!f) die("guest");
    size_t n = fread(mem + 0x100000, 1, MEM - 0x100000, f);
    fclose(f);
    if (n == 0) die("guest empty");
    uint64_t *gdt = (uint64_t *) (mem + 0x500);
    gdt[0] = 0; gdt[1] = 0x00af9b000000ffffULL; gdt[2] = 0x00cf93000000ffffULL; gdt[3] = 0x00808b000000ffffULL;
    uint64_t *pml4 = (uint64_t *) (mem + 0x9000), *pdpt = (uint64_t *) (mem + 0xa000), *pd = (uint64_t *) (mem + 0xb000);
    pml4[0] = 0xa000 | 3; pdpt[0] = 0xb000 | 3;
    for (int i = 0; i < 512; i++) pd[i] = ((uint64_t) i << 21) | 0x83;

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");
    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) die("KVM_GET_SREGS");
    seg(&sregs.cs, 8, 11, 0, 1);
    seg(&sregs.ds, 0x10, 3, 1, 0); sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    seg(&sregs.tr, 0x18, 11, 0, 0); sregs.tr.s = 0;
    sregs.gdt.base = 0x500; sregs.gdt.limit = 31; sregs.idt.base = 0x520; sregs.idt.limit = 7;
    sregs.cr3 = 0x9000; sregs.cr4 |= 1 << 5; sregs.cr0 |= 1 | (1 << 4) | (1 << 5) | (1UL << 31);
    sregs.efer |= (1 << 8) | (1 << 10);
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) die("KVM_SET_SREGS");
    struct kvm_regs regs = {.rip = 0x100000, .rsp = 0x80000, .rflags = 2};
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) die("KVM_SET_REGS");

    long exits = 0;
    double first = 0, last = 0;
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
        if (run->exit_reason != KVM_EXIT_IO) { fprintf(stderr, "unexpected exit %u\n", run->exit_reason); return 1; }
        if (run->io.port == 0x500) {
            double t = now();
            if (exits++ == 0) first = t;
            last = t;
        } else if (run->io.port == 0x3c0) {
            break;
        }
    }
    if (exits != expected) { fprintf(stderr, "saw %ld exits, expected %ld\n", exits, expected); return 1; }
    printf("%.1f\n", (exits - 1) / (last - first));
    return 0;
}
