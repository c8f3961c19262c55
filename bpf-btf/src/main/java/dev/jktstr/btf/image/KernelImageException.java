package dev.jktstr.btf.image;

/**
 * Root of the unchecked kernel-image errors: an image that is not there, is malformed, uses an unsupported
 * compression, or does not decompress cleanly.
 */
public class KernelImageException extends RuntimeException {
    public KernelImageException(String message) {
        super(message);
    }

    public KernelImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
