package dev.jktstr.btf;

/** A name, field path or type asked for does not exist in the BTF (or does not fit the request). */
public class BtfLookupException extends BtfException {
    public BtfLookupException(String message) {
        super(message);
    }
}
