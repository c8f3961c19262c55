package dev.jktstr.btf;

/**
 * Root of the unchecked exceptions about BTF: malformed BTF data ({@link BtfFormatException}), names, field
 * paths or files that are not there ({@link BtfLookupException}), values that cannot be rendered. The other
 * parts of this module have their own roots: {@code elf.ElfException}, {@code image.KernelImageException},
 * {@code ksym.KsymException} and {@code bpf.BpfException}.
 */
public class BtfException extends RuntimeException {
    public BtfException(String message) {
        super(message);
    }

    public BtfException(String message, Throwable cause) {
        super(message, cause);
    }
}
