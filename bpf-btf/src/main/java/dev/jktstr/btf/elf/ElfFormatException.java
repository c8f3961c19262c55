package dev.jktstr.btf.elf;

/** The data is not a well-formed ELF64 file (or asks for something it does not contain). */
public class ElfFormatException extends ElfException {
    public ElfFormatException(String message) {
        super(message);
    }
}
