package dev.jktstr.introspect;

/**
 * The memory-introspection layer's exception family. Guest memory is untrusted: a bad pointer, a
 * corrupted list or an unknown layout ends in one of these, never in a JVM crash or a hang.
 */
public class IntrospectionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public IntrospectionException(String message) {
        super(message);
    }

    public IntrospectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
