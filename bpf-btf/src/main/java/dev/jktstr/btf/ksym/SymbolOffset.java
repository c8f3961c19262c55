package dev.jktstr.btf.ksym;

/** An address expressed as {@code symbol+offset}. */
public record SymbolOffset(KernelSymbol symbol, long offset) {
    @Override
    public String toString() {
        return offset == 0 ? symbol.name() : symbol.name() + "+0x" + Long.toHexString(offset);
    }
}
