package dev.jktstr.btf.image;

/**
 * A kernel payload's compression is decoded by a system library that could not be loaded (today: zstd,
 * by {@code libzstd.so.1}). The message says what to install; {@link #packageName()} is the Debian package.
 */
public final class MissingDecoderException extends KernelImageException {
    private final String packageName;

    public MissingDecoderException(String message, String packageName) {
        super(message);
        this.packageName = packageName;
    }

    /** The Debian/Ubuntu package that provides the missing library ({@code libzstd1}). */
    public String packageName() {
        return packageName;
    }
}
