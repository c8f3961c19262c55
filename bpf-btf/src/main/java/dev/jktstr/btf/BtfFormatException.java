package dev.jktstr.btf;

/** The BTF data is malformed: bad header, unknown kind or version, out-of-range offset or id, loop. */
public class BtfFormatException extends BtfException {
    public BtfFormatException(String message) {
        super(message);
    }

    public BtfFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
