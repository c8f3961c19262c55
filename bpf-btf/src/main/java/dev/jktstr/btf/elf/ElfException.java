package dev.jktstr.btf.elf;

/** Root of the unchecked ELF errors: a file that is not there, or not well-formed ({@link ElfFormatException}). */
public class ElfException extends RuntimeException {
    public ElfException(String message) {
        super(message);
    }
}
