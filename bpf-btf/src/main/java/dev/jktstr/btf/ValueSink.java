package dev.jktstr.btf;

import java.io.IOException;

/**
 * Where {@link ValueWalk} writes a typed value: one event per scalar and per struct/array boundary, so the
 * walk over types and bytes exists once and each output format ({@link TextSink}, {@link JsonSink}) only
 * spells the events.
 */
interface ValueSink {

    /**
     * Whether members of anonymous structs and unions are written as members of the enclosing struct (JSON,
     * whose objects need a key per field) rather than as a nested value without a name (C text).
     */
    boolean flattensAnonymousMembers();

    /** An integer in decimal. */
    void integer(String decimal) throws IOException;

    /** A finite floating-point number as {@link Float#toString} or {@link Double#toString} writes it. */
    void floating(String decimal) throws IOException;

    void bool(boolean value) throws IOException;

    /** A value with no number form: a hex address or 128-bit integer, NaN, Infinity, {@code <float80>}. */
    void symbol(String text) throws IOException;

    /** An enum value: its enumerator's name, or {@code null} if no enumerator has it, and its number. */
    void enumerator(String name, String decimal) throws IOException;

    /** The characters of a {@code char} array up to its NUL, one char per byte (not escaped). */
    void string(String chars) throws IOException;

    /** A value of type {@code void}. */
    void voidValue() throws IOException;

    /** A value of type {@code type} of {@code btf}, whose kind has no rendering (FWD, FUNC, VAR, ...). */
    void opaque(Btf btf, int type) throws IOException;

    void beginStruct() throws IOException;

    /** Starts member {@code name} ({@code ""} for an anonymous member) of the innermost struct. */
    void member(String name) throws IOException;

    void endMember() throws IOException;

    void endStruct() throws IOException;

    void beginArray() throws IOException;

    /** Starts element {@code index} of the innermost array. */
    void element(long index) throws IOException;

    void endArray() throws IOException;
}
