package dev.jktstr.introspect;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * BPF programs, from {@code prog_idr}, as {@link BpfMapWalker} reads maps: each program's identity, sizes, the
 * verifier's instruction count and its run statistics ({@code prog->stats}, per-CPU, summed over the VM's CPUs like
 * the kernel's {@code bpf_prog_get_stats}). Reads are charged to the snapshot's budget; every field that fails
 * becomes a {@link FieldError} on its program, and a program that cannot be read at all one on the walk.
 */
final class BpfProgWalker {
    static final int MAX_PROGS = 4096;
    /** Bytes charged per program: its bpf_prog and bpf_prog_aux fields, name and attach name. */
    private static final long PROG_BYTES = 256;
    /** Bytes charged per program and CPU: one {@code struct bpf_prog_stats}. */
    private static final long STATS_BYTES = 24;

    private final KernelView view;
    private final SnapshotBudget budget;

    BpfProgWalker(KernelView view, SnapshotBudget budget) {
        this.view = view;
        this.budget = budget;
    }

    /** Every BPF program in {@code prog_idr}, in id order. */
    List<BpfProgState> progs(List<FieldError> errors) {
        List<Long> listed = FieldError.attempt(errors, "prog_idr",
                () -> Idr.pointers(view, budget, "prog_idr", MAX_PROGS, "programs"));
        // Each program once, however often a hostile xarray lists it.
        Set<Long> progs = new LinkedHashSet<>(listed == null ? List.of() : listed);
        if (listed != null && progs.size() < listed.size()) {
            errors.add(new FieldError("prog_idr", CorruptGuestDataException.class.getSimpleName(), "prog_idr lists "
                    + progs.size() + " programs " + listed.size() + " times; each is read once"));
        }
        List<BpfProgState> out = new ArrayList<>();
        for (long p : progs) {
            BpfProgState s = FieldError.attempt(errors, "bpf_prog@" + KernelView.hex(p), () -> prog(p));
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * Whether {@code kernel.bpf_stats_enabled} is on now: the {@code bpf_stats_enabled_key} static key's count
     * (the sysctl and every {@code BPF_ENABLE_STATS} fd each hold one).
     */
    boolean statsEnabled() {
        return view.global("bpf_stats_enabled_key", "struct static_key_false").field("key.enabled.counter").asLong() > 0;
    }

    private BpfProgState prog(long p) {
        budget.bytes(PROG_BYTES, "programs");
        List<FieldError> errors = new ArrayList<>();
        GuestObject prog = view.object(p, "struct bpf_prog");
        GuestObject aux = prog.field("aux").deref();
        // The id and name identify the program; without them there is nothing to report it under.
        int id = aux.field("id").asInt();
        String name = aux.field("name").asString();
        String at = "prog[" + id + ":" + name + "]";
        String type = or(FieldError.attempt(errors, at + ".type", () -> prog.field("type").enumName()), "");
        // A struct_ops program's expected_attach_type holds its member's index, not a bpf_attach_type.
        String attachType = or(FieldError.attempt(errors, at + ".expected_attach_type",
                () -> type.equals("BPF_PROG_TYPE_STRUCT_OPS") ? "member " + prog.field("expected_attach_type").asLong()
                        : prog.field("expected_attach_type").enumName()), "");
        String attachTo = FieldError.attempt(errors, at + ".attach_func_name", () -> {
            GuestObject f = aux.field("attach_func_name");
            return f.isNull() ? null : f.asString();
        });
        String tag = or(FieldError.attempt(errors, at + ".tag",
                () -> HexFormat.of().formatHex(view.readBytes(prog.field("tag").address(), 8))), "");
        boolean jited = Boolean.TRUE.equals(FieldError.attempt(errors, at + ".jited", () -> prog.field("jited").asBoolean()));
        long jitedLen = orZero(FieldError.attempt(errors, at + ".jited_len", () -> prog.field("jited_len").asLong()));
        long len = orZero(FieldError.attempt(errors, at + ".len", () -> prog.field("len").asLong()));
        long pages = orZero(FieldError.attempt(errors, at + ".pages", () -> prog.field("pages").asLong()));
        long verified = orZero(FieldError.attempt(errors, at + ".verified_insns",
                () -> aux.field("verified_insns").asLong()));
        long[] stats = FieldError.attempt(errors, at + ".stats", () -> stats(prog));
        return new BpfProgState(id, name, type, attachType, attachTo, tag, jited, jitedLen, len * 8, pages * 4096,
                verified, stats == null ? null : stats[0], stats == null ? null : stats[1], errors);
    }

    /** {@code {cnt, nsecs}} of {@code prog->stats} summed over CPU ids, as {@code bpf_prog_get_stats} sums them. */
    private long[] stats(GuestObject prog) {
        long pcpu = prog.field("stats").pointerValue();
        if (pcpu == 0) {
            throw new IntrospectionException("no per-CPU stats (prog->stats is NULL)");
        }
        int statsType = view.typeId("struct bpf_prog_stats");
        long cntOff = GuestObject.memberOffset(view, view.btf(), statsType, "cnt");
        long nsecsOff = GuestObject.memberOffset(view, view.btf(), statsType, "nsecs");
        int cpus = view.perCpu().nrCpuIds(); // capped at the VM's vCPUs
        budget.bytes(STATS_BYTES * cpus, "program stats");
        long cnt = 0;
        long nsecs = 0;
        for (int cpu = 0; cpu < cpus; cpu++) {
            long s = view.perCpu().address(pcpu, cpu);
            // u64_stats_t is a local64_t on 64-bit: a plain 8-byte counter.
            cnt += view.readLong(s + cntOff);
            nsecs += view.readLong(s + nsecsOff);
        }
        return new long[] {cnt, nsecs};
    }

    private static String or(String s, String fallback) {
        return s == null ? fallback : s;
    }

    private static long orZero(Long v) {
        return v == null ? 0 : v;
    }
}
