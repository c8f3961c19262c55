package dev.jktstr.btf.ksym;

/** A System.map or kallsyms text is malformed (the line is quoted in the message). */
public class SymbolFormatException extends KsymException {
    public SymbolFormatException(String message) {
        super(message);
    }
}
