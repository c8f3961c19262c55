package dev.jktstr.btf.elf;

import dev.jktstr.btf.BtfException;

/** The data is not a well-formed ELF64 file (or asks for something it does not contain). */
public class ElfFormatException extends BtfException {
    public ElfFormatException(String message) {
        super(message);
    }
}
