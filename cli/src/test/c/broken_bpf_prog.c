/* Test fixture for `jktstr verifier`: a "scheduler" whose BPF program the kernel's verifier rejects. It loads a
 * two-instruction socket filter that reads r2 before anything wrote it (r0 = r2; exit) through bpf(BPF_PROG_LOAD)
 * with log_level 1, then prints the verifier's log the way libbpf does ("-- BEGIN PROG LOAD LOG --") and exits 1,
 * as a libbpf-based scheduler does when one of its programs is rejected. The log text is the kernel's own. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char log_buf[1 << 16];

int main(void) {
    struct bpf_insn insns[2];
    memset(insns, 0, sizeof insns);
    insns[0].code = BPF_ALU64 | BPF_MOV | BPF_X; /* r0 = r2: r2 was never written */
    insns[0].dst_reg = 0;
    insns[0].src_reg = 2;
    insns[1].code = BPF_JMP | BPF_EXIT;
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    a.insns = (unsigned long)insns;
    a.insn_cnt = 2;
    a.license = (unsigned long)"GPL";
    a.log_level = 1;
    a.log_buf = (unsigned long)log_buf;
    a.log_size = sizeof log_buf;
    strncpy(a.prog_name, "jk_broken", sizeof a.prog_name - 1);
    long fd = syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof a);
    if (fd >= 0) {
        printf("jk_broken: the verifier accepted a program it should have rejected\n");
        return 0;
    }
    int err = errno;
    fprintf(stderr, "libbpf: prog 'jk_broken': BPF program load failed: %s\n", strerror(err));
    fprintf(stderr, "libbpf: prog 'jk_broken': -- BEGIN PROG LOAD LOG --\n%s-- END PROG LOAD LOG --\n", log_buf);
    fprintf(stderr, "libbpf: failed to load object 'jk_broken'\n");
    return 1;
}
