package dev.jktstr.btf.bpf;

/** The parts of {@code struct bpf_prog_info} that identify a program. {@code tag} is hex. */
public record BpfProgInfo(int type, int id, String tag, String name, int btfId, long loadTimeNanos,
        int createdByUid, int verifiedInstructions) {}
