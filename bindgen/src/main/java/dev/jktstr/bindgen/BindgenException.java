package dev.jktstr.bindgen;

/** The generator cannot do what its input asks: a header that does not parse, a name not declared, libclang missing. */
public final class BindgenException extends RuntimeException {

    public BindgenException(String message) {
        super(message);
    }
}
