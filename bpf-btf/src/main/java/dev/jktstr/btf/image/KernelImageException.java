package dev.jktstr.btf.image;

import dev.jktstr.btf.BtfException;

/** A kernel image is malformed, uses an unsupported compression, or does not decompress cleanly. */
public class KernelImageException extends BtfException {
    public KernelImageException(String message) {
        super(message);
    }

    public KernelImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
