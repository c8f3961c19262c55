package dev.jktstr.kvm.x86;

/**
 * One CPUID result as {@code struct kvm_cpuid_entry2} holds it: the leaf ({@code function}), the
 * sub-leaf ({@code index}, meaningful only when {@link #FLAG_SIGNIFICANT_INDEX} is set) and the four
 * output registers.
 */
public record CpuidEntry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {

    /** {@code KVM_CPUID_FLAG_SIGNIFCANT_INDEX}: the entry applies to one sub-leaf only. */
    public static final int FLAG_SIGNIFICANT_INDEX = 1;

    public static CpuidEntry of(int function, int eax, int ebx, int ecx, int edx) {
        return new CpuidEntry(function, 0, 0, eax, ebx, ecx, edx);
    }

    public static CpuidEntry indexed(int function, int index, int eax, int ebx, int ecx, int edx) {
        return new CpuidEntry(function, index, FLAG_SIGNIFICANT_INDEX, eax, ebx, ecx, edx);
    }

    public boolean hasSignificantIndex() {
        return (flags & FLAG_SIGNIFICANT_INDEX) != 0;
    }

    /** Whether this entry answers CPUID with {@code EAX=function, ECX=index}. */
    public boolean matches(int function, int index) {
        return this.function == function && (!hasSignificantIndex() || this.index == index);
    }

    public CpuidEntry withEax(int value) {
        return new CpuidEntry(function, index, flags, value, ebx, ecx, edx);
    }

    public CpuidEntry withEbx(int value) {
        return new CpuidEntry(function, index, flags, eax, value, ecx, edx);
    }

    public CpuidEntry withEcx(int value) {
        return new CpuidEntry(function, index, flags, eax, ebx, value, edx);
    }

    public CpuidEntry withEdx(int value) {
        return new CpuidEntry(function, index, flags, eax, ebx, ecx, value);
    }

    @Override
    public String toString() {
        return String.format("0x%08x/%d: eax=%08x ebx=%08x ecx=%08x edx=%08x%s", function, index, eax, ebx, ecx, edx,
                hasSignificantIndex() ? "" : " (any index)");
    }
}
