package dev.jktstr.btf;

/**
 * Root of the unchecked exception family of module bpf-btf: malformed BTF, ELF, kernel images
 * and symbol files, failed lookups, and failed bpf(2) calls all end in a subclass of this.
 */
public class BtfException extends RuntimeException {
    public BtfException(String message) {
        super(message);
    }

    public BtfException(String message, Throwable cause) {
        super(message, cause);
    }
}
