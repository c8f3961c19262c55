package dev.jktstr.btf.ksym;

/**
 * Root of the unchecked kernel-symbol errors: a symbol file that is not there, a symbol that is not in the table,
 * or a malformed System.map or kallsyms text ({@link SymbolFormatException}).
 */
public class KsymException extends RuntimeException {
    public KsymException(String message) {
        super(message);
    }
}
