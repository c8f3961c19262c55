package dev.jktstr.btf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;

/**
 * Renders memory as a typed value of a BTF type, to C-like text or to JSON: structs and unions by
 * member (members of anonymous structs/unions appear in place, as C reads them), arrays, enums by
 * enumerator name, bitfields, pointers as hex addresses, {@code char} arrays as strings.
 *
 * <p>Both formats come from one walk over the type and the bytes ({@link ValueWalk}) writing to a
 * {@link TextSink} or a {@link JsonSink}.
 *
 * <p>Memory is little-endian (x86 guests). Reads are bounds-checked against the segment given, and the
 * number of values rendered is capped, so any type and any bytes end in text or a {@link BtfException}.
 */
public final class BtfValueRenderer {
    private static final JsonFactory JSON = new JsonFactory();

    private final Btf btf;
    private final long maxValues;

    BtfValueRenderer(Btf btf) {
        this(btf, 1 << 20);
    }

    private BtfValueRenderer(Btf btf, long maxValues) {
        this.btf = btf;
        this.maxValues = maxValues;
    }

    /** A renderer that gives up (with {@link BtfException}) after {@code maxValues} scalar values. */
    public BtfValueRenderer withMaxValues(long maxValues) {
        return new BtfValueRenderer(btf, maxValues);
    }

    /** Renders {@code data} (starting at offset 0) as a value of type {@code typeId}, as C-like text. */
    public String render(int typeId, MemorySegment data) {
        StringBuilder sb = new StringBuilder();
        try {
            new ValueWalk(btf, maxValues, data, new TextSink(sb)).value(typeId, 0, 0, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringBuilder does not throw
        }
        return sb.toString();
    }

    /** Renders {@code data} as a value of type {@code typeId} to a JSON string. */
    public String renderJson(int typeId, MemorySegment data) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            renderJson(typeId, data, g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** Writes {@code data} as a value of type {@code typeId} as one JSON value to {@code gen}. */
    public void renderJson(int typeId, MemorySegment data, JsonGenerator gen) throws IOException {
        new ValueWalk(btf, maxValues, data, new JsonSink(gen)).value(typeId, 0, 0, 0);
    }
}
