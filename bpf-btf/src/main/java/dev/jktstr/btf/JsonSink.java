package dev.jktstr.btf;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.math.BigInteger;

/**
 * Writes a value as JSON: structs as objects (anonymous members' fields in place), arrays as arrays, enums by
 * enumerator name, and what JSON numbers cannot hold (addresses, NaN, 128-bit integers) as strings.
 */
final class JsonSink implements ValueSink {
    private final JsonGenerator gen;

    JsonSink(JsonGenerator gen) {
        this.gen = gen;
    }

    @Override
    public boolean flattensAnonymousMembers() {
        return true;
    }

    /** As a BigInteger, which holds the whole u64 range and every generator writes as an integer. */
    @Override
    public void integer(String decimal) throws IOException {
        gen.writeNumber(new BigInteger(decimal));
    }

    @Override
    public void floating(String decimal) throws IOException {
        gen.writeNumber(decimal);
    }

    @Override
    public void bool(boolean value) throws IOException {
        gen.writeBoolean(value);
    }

    @Override
    public void symbol(String text) throws IOException {
        gen.writeString(text);
    }

    /** An enumerator without a name would be an empty string; its number says more. */
    @Override
    public void enumerator(String name, String decimal) throws IOException {
        if (name != null && !name.isEmpty()) {
            gen.writeString(name);
        } else {
            gen.writeNumber(new BigInteger(decimal));
        }
    }

    @Override
    public void string(String chars) throws IOException {
        gen.writeString(chars);
    }

    @Override
    public void voidValue() throws IOException {
        gen.writeNull();
    }

    @Override
    public void opaque(Btf btf, int type) throws IOException {
        gen.writeNull();
    }

    @Override
    public void beginStruct() throws IOException {
        gen.writeStartObject();
    }

    /** An anonymous member that is not a struct or union (flattened by the walk) still needs a key. */
    @Override
    public void member(String name) throws IOException {
        gen.writeFieldName(name.isEmpty() ? "(anon)" : name);
    }

    @Override
    public void endMember() {
    }

    @Override
    public void endStruct() throws IOException {
        gen.writeEndObject();
    }

    @Override
    public void beginArray() throws IOException {
        gen.writeStartArray();
    }

    @Override
    public void element(long index) {
    }

    @Override
    public void endArray() throws IOException {
        gen.writeEndArray();
    }
}
