package dev.jktstr.btf.ksym;

/**
 * A kernel symbol: its address, name, nm-style type letter ({@code T}, {@code t}, {@code D}, ...;
 * from ELF: {@code T}/{@code t} for functions, {@code D}/{@code d} for objects, {@code ?} otherwise) and
 * module ({@code null} for the core kernel).
 */
public record KernelSymbol(long address, String name, char type, String module) {
    @Override
    public String toString() {
        return String.format("%016x %c %s%s", address, type, name, module == null ? "" : "\t[" + module + "]");
    }
}
