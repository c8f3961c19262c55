package dev.jktstr.machine;

import java.util.Map;
import java.util.OptionalLong;

/**
 * A paused vCPU's registers. The named accessors cover what every backend provides; {@link #all()}
 * holds whatever else the backend could read (segment bases, EFER, …), keyed by upper-case name.
 * MSRs such as {@code LSTAR} are present only where the backend can read them (the QEMU backend
 * cannot: its monitor does not print them).
 */
public record VcpuRegisters(int cpu, long rip, long rsp, long rflags, long cr0, long cr2, long cr3, long cr4,
                            Map<String, Long> all) {

    public VcpuRegisters {
        all = Map.copyOf(all);
    }

    public OptionalLong get(String name) {
        Long v = all.get(name.toUpperCase(java.util.Locale.ROOT));
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }
}
