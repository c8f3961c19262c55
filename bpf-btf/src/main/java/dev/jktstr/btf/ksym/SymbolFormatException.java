package dev.jktstr.btf.ksym;

import dev.jktstr.btf.BtfException;

/** A System.map or kallsyms text is malformed (the line is quoted in the message). */
public class SymbolFormatException extends BtfException {
    public SymbolFormatException(String message) {
        super(message);
    }
}
