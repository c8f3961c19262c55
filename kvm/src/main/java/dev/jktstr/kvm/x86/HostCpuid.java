package dev.jktstr.kvm.x86;

import java.util.List;
import java.util.Optional;

/**
 * CPUID as the host CPU answers it (not KVM's supported CPUID, not a template): what
 * {@link dev.jktstr.kvm.HostVirtualization} reads the hypervisor bit and signature from. An interface so
 * tests can fake a host; {@link #executed()} runs the instruction itself.
 */
@FunctionalInterface
public interface HostCpuid {

    /** CPUID with {@code EAX=leaf, ECX=subleaf}; empty when the instruction cannot be run from here. */
    Optional<CpuidEntry> query(int leaf, int subleaf);

    default Optional<CpuidEntry> leaf(int leaf) {
        return query(leaf, 0);
    }

    /**
     * The CPUID instruction, executed from Java without JNI: a 33-byte x86-64 stub in an anonymous
     * mapping made read+execute, called through the FFM linker. Empty answers where that is not possible
     * (not x86-64, or the system forbids executable anonymous memory, e.g. SELinux {@code deny_execmem}).
     */
    static HostCpuid executed() {
        return ExecutedCpuid.INSTANCE;
    }

    /** A host whose CPUID cannot be read: callers fall back to /proc/cpuinfo. */
    static HostCpuid unavailable() {
        return (leaf, subleaf) -> Optional.empty();
    }

    /**
     * A fake CPU answering the given leaves (sub-leaf 0); any other leaf reads as all zeros, as an AMD CPU
     * answers a leaf beyond its range.
     */
    static HostCpuid fixed(List<CpuidEntry> leaves) {
        List<CpuidEntry> copy = List.copyOf(leaves);
        return (leaf, subleaf) -> Optional.of(copy.stream().filter(e -> e.matches(leaf, subleaf)).findFirst()
                .orElse(CpuidEntry.of(leaf, 0, 0, 0, 0)));
    }

    /** Why {@link #executed()} answers nothing here, or empty when it works. */
    static Optional<String> executedUnavailableReason() {
        return ExecutedCpuid.INSTANCE.unavailableReason();
    }

    /** The 12 ASCII bytes of EBX, ECX, EDX in that order (a hypervisor signature, leaf 0x40000000). */
    static String signatureEbxEcxEdx(CpuidEntry e) {
        return ascii(e.ebx()) + ascii(e.ecx()) + ascii(e.edx());
    }

    /** The 12 ASCII bytes of EBX, EDX, ECX in that order (the vendor string, leaf 0). */
    static String vendorEbxEdxEcx(CpuidEntry e) {
        return ascii(e.ebx()) + ascii(e.edx()) + ascii(e.ecx());
    }

    private static String ascii(int register) {
        char[] c = new char[4];
        for (int i = 0; i < 4; i++) {
            c[i] = (char) ((register >>> (8 * i)) & 0xff);
        }
        return new String(c);
    }
}
