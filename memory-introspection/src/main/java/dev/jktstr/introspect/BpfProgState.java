package dev.jktstr.introspect;

import java.util.List;

/**
 * One BPF program found through {@code prog_idr}: what {@code bpftool prog show} and the program fd's fdinfo
 * report, read from the kernel's {@code struct bpf_prog} and {@code struct bpf_prog_aux}.
 *
 * @param name {@code aux->name} (at most 15 characters: the kernel truncates it)
 * @param type the {@code bpf_prog_type} enumerator name, e.g. BPF_PROG_TYPE_STRUCT_OPS
 * @param attachType the {@code bpf_attach_type} enumerator name of {@code expected_attach_type}; for a struct_ops
 *        program, which keeps its member's index there, {@code member <index>}
 * @param attachTo {@code aux->attach_func_name}: the traced function, or a struct_ops program's member (e.g.
 *        {@code enqueue}); null where the program has none
 * @param tag the program's tag (hex of {@code prog->tag}, as fdinfo's {@code prog_tag})
 * @param jited whether the program runs JIT-compiled ({@code prog->jited}, fdinfo's {@code prog_jited})
 * @param jitedBytes {@code prog->jited_len}
 * @param xlatedBytes {@code prog->len} instructions of 8 bytes
 * @param memlockBytes {@code prog->pages} pages, as fdinfo's {@code memlock}
 * @param verifiedInsns {@code aux->verified_insns}: instructions the verifier processed
 * @param runCount {@code prog->stats} summed over CPUs: runs counted while {@code kernel.bpf_stats_enabled} was
 *        on (null if unreadable)
 * @param runTimeNs the same for nanoseconds spent in the program
 */
public record BpfProgState(int id, String name, String type, String attachType, String attachTo, String tag,
                           boolean jited, long jitedBytes, long xlatedBytes, long memlockBytes, long verifiedInsns,
                           Long runCount, Long runTimeNs, List<FieldError> errors) {
    public BpfProgState {
        errors = List.copyOf(errors);
    }

    /** Mean nanoseconds per run, or null without stats or runs. */
    public Double meanRunNs() {
        return runCount == null || runTimeNs == null || runCount <= 0 ? null : (double) runTimeNs / runCount;
    }
}
