package dev.jktstr.kconfig;

/** Base of the kconfig layer's unchecked exceptions (kernel lookup, later config and build). */
public class KconfigException extends RuntimeException {

    public KconfigException(String message) {
        super(message);
    }

    public KconfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
