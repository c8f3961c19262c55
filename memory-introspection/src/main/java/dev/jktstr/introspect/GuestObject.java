package dev.jktstr.introspect;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.jktstr.btf.Btf;
import dev.jktstr.btf.BtfException;
import dev.jktstr.btf.BtfKind;
import dev.jktstr.btf.BtfType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A typed object in guest kernel memory: an address and a BTF type. Navigation is fluent and lazy —
 * nothing is read until a value is asked for:
 * {@code view.percpu("runqueues", 0).field("curr").field("comm").asString()}.
 *
 * <p>Field paths use C member names, {@code .} between steps and {@code [n]} for array or pointer
 * indexing; a {@code .} step on a pointer follows it first (C's {@code ->}). Members of anonymous
 * structs and unions are found as in C. Immutable.
 */
public final class GuestObject {
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_STRING = 4096;

    /** A member's type and its bit position from the start of the enclosing aggregate. */
    record MemberHit(int type, long bitOffset, int bitfieldSize) {}

    private final KernelView view;
    private final Btf btf;
    private final long address;
    private final int typeId;
    private final int bitInByte;
    private final int bitfieldSize;

    GuestObject(KernelView view, Btf btf, long address, int typeId, int bitInByte, int bitfieldSize) {
        this.view = view;
        this.btf = btf;
        this.address = address;
        this.typeId = typeId;
        this.bitInByte = bitInByte;
        this.bitfieldSize = bitfieldSize;
    }

    /** Kernel-virtual address of the object's first byte. */
    public long address() {
        return address;
    }

    public int typeId() {
        return typeId;
    }

    public Btf btf() {
        return btf;
    }

    /** The type as C writes it, e.g. {@code struct rq} or {@code u64}. */
    public String typeName() {
        return btf.typeName(typeId);
    }

    /** Size of the object's type in bytes. */
    public long size() {
        try {
            return btf.sizeOf(typeId);
        } catch (BtfException e) {
            throw new IntrospectionException("type " + typeId + " has no size: " + e.getMessage(), e);
        }
    }

    private BtfType resolved() {
        return view.types().type(btf, view.types().resolve(btf, typeId));
    }

    // ---------------------------------------------------------------- navigation

    /** The object at {@code path} inside this one; see the class comment for the syntax. */
    public GuestObject field(String path) {
        GuestObject cur = this;
        int i = 0;
        int n = path.length();
        while (i < n) {
            char c = path.charAt(i);
            if (c == '.') {
                i++;
                continue;
            }
            if (c == '[') {
                int close = path.indexOf(']', i);
                if (close < 0) {
                    throw new IntrospectionException("unclosed [ in field path '" + path + "'");
                }
                long index;
                try {
                    index = Long.parseLong(path.substring(i + 1, close).strip());
                } catch (NumberFormatException e) {
                    throw new IntrospectionException("bad index in field path '" + path + "'");
                }
                cur = cur.index(index);
                i = close + 1;
                continue;
            }
            int j = i;
            while (j < n && path.charAt(j) != '.' && path.charAt(j) != '[') {
                j++;
            }
            String name = path.substring(i, j);
            if (name.equals("->")) {
                i = j;
                continue;
            }
            cur = cur.member(name.replace("->", ""));
            i = j;
        }
        return cur;
    }

    private GuestObject member(String name) {
        GuestObject base = this;
        if (resolved() instanceof BtfType.Ref r && r.kind() == BtfKind.PTR) {
            base = deref();
        }
        MemberHit hit = view.types().member(btf, base.typeId, name);
        if (hit == null) {
            throw new IntrospectionException("type " + base.typeName() + " has no member '" + name + "'");
        }
        long addr = base.address + (hit.bitOffset() >>> 3);
        return new GuestObject(view, btf, addr, hit.type(), (int) (hit.bitOffset() & 7), hit.bitfieldSize());
    }

    /** Byte offset of member path {@code path} inside type {@code typeId} (no pointer steps). */
    static long memberOffset(KernelView view, Btf btf, int typeId, String path) {
        return new GuestObject(view, btf, 0, typeId, 0, 0).field(path).address;
    }

    /**
     * Element {@code i} of an array (bounds-checked unless the array is a flexible member) or, for a
     * pointer, the {@code i}-th object it points at.
     */
    public GuestObject index(long i) {
        try {
            return indexUnchecked(i);
        } catch (BtfException e) {
            throw new IntrospectionException("cannot index " + typeName() + ": " + e.getMessage(), e);
        }
    }

    private GuestObject indexUnchecked(long i) {
        BtfType t = resolved();
        if (t instanceof BtfType.Array a) {
            if (a.length() > 0 && (i < 0 || i >= a.length())) {
                throw new IntrospectionException("index " + i + " out of bounds for " + typeName());
            }
            long elem = btf.sizeOf(a.elementType());
            return new GuestObject(view, btf, address + i * elem, a.elementType(), 0, 0);
        }
        if (t instanceof BtfType.Ref r && r.kind() == BtfKind.PTR) {
            long elem = r.type() == 0 ? 1 : btf.sizeOf(r.type());
            return new GuestObject(view, btf, pointerValue() + i * elem, r.type(), 0, 0);
        }
        throw new IntrospectionException("cannot index " + typeName() + " (not an array or pointer)");
    }

    /** The object this pointer points at; {@link IntrospectionException} for NULL or a non-pointer. */
    public GuestObject deref() {
        BtfType t = resolved();
        if (!(t instanceof BtfType.Ref r) || r.kind() != BtfKind.PTR) {
            throw new IntrospectionException("cannot dereference " + typeName() + " (not a pointer)");
        }
        long p = pointerValue();
        if (p == 0) {
            throw new IntrospectionException("NULL " + typeName() + " at 0x" + Long.toHexString(address));
        }
        return new GuestObject(view, btf, p, r.type(), 0, 0);
    }

    /** This object read as another type (a cast), e.g. a {@code void *} target. */
    public GuestObject as(String typeName) {
        return new GuestObject(view, btf, address, view.typeId(typeName), 0, 0);
    }

    /** The {@code containerType} whose member {@code memberPath} is this object (C's container_of). */
    public GuestObject containerOf(String containerType, String memberPath) {
        int t = view.typeId(containerType);
        return new GuestObject(view, btf, address - memberOffset(view, btf, t, memberPath), t, 0, 0);
    }

    // ---------------------------------------------------------------- values

    /** The raw 64-bit value of a pointer. */
    public long pointerValue() {
        return view.readLong(address);
    }

    public boolean isNull() {
        return pointerValue() == 0;
    }

    /**
     * An integer, enum, bool, char or pointer value, sign-extended for signed types; bitfields are
     * extracted.
     */
    public long asLong() {
        BtfType t = resolved();
        long size;
        boolean signed;
        switch (t) {
            case BtfType.Int in -> {
                size = in.size();
                signed = in.isSigned();
            }
            case BtfType.Enum en -> {
                size = en.size();
                signed = en.signed();
            }
            case BtfType.Ref r when r.kind() == BtfKind.PTR -> {
                size = 8;
                signed = false;
            }
            default -> throw new IntrospectionException("not a scalar: " + typeName());
        }
        if (bitfieldSize != 0) {
            int bits = bitInByte + bitfieldSize;
            int bytes = (bits + 7) / 8;
            byte[] raw = view.readBytes(address, bytes);
            long v = 0;
            for (int k = bytes - 1; k >= 0; k--) {
                v = (v << 8) | (raw[k] & 0xFF);
            }
            v >>>= bitInByte;
            long mask = bitfieldSize >= 64 ? -1L : (1L << bitfieldSize) - 1;
            v &= mask;
            if (signed && bitfieldSize < 64 && (v >>> (bitfieldSize - 1) & 1) != 0) {
                v |= ~mask;
            }
            return v;
        }
        return switch ((int) size) {
            case 1 -> {
                byte b = view.readBytes(address, 1)[0];
                yield signed ? b : b & 0xFF;
            }
            case 2 -> {
                byte[] b = view.readBytes(address, 2);
                short s = (short) ((b[0] & 0xFF) | (b[1] << 8));
                yield signed ? s : s & 0xFFFF;
            }
            case 4 -> {
                int v = view.readInt(address);
                yield signed ? v : Integer.toUnsignedLong(v);
            }
            case 8 -> view.readLong(address);
            default -> throw new IntrospectionException("unsupported scalar size " + size + " for " + typeName());
        };
    }

    public int asInt() {
        return (int) asLong();
    }

    public boolean asBoolean() {
        return asLong() != 0;
    }

    /** For an enum: the name of its value (or the number if it names none). */
    public String enumName() {
        long v = asLong();
        if (resolved() instanceof BtfType.Enum en) {
            for (BtfType.Enumerator e : en.values()) {
                if (e.value() == v) {
                    return e.name();
                }
            }
        }
        return Long.toString(v);
    }

    /** A {@code char[]} up to its first NUL, or the C string a {@code char *} points at (at most 4 KiB). */
    public String asString() {
        BtfType t = resolved();
        if (t instanceof BtfType.Array a) {
            int len = (int) Math.min(a.length(), MAX_STRING);
            return view.readCString(address, len);
        }
        if (t instanceof BtfType.Ref r && r.kind() == BtfKind.PTR) {
            long p = pointerValue();
            if (p == 0) {
                throw new IntrospectionException("NULL string pointer at 0x" + Long.toHexString(address));
            }
            return view.readCString(p, MAX_STRING);
        }
        throw new IntrospectionException("not a string: " + typeName());
    }

    /** The object's bytes (a live view of guest RAM where contiguous, else a copy). */
    public MemorySegment bytes() {
        return view.segment(address, size());
    }

    /** The object rendered as C-like text by the BTF renderer. */
    public String render() {
        try {
            return btf.renderer().withMaxValues(1 << 16).render(typeId, bytes());
        } catch (BtfException e) {
            throw new IntrospectionException("cannot render " + typeName() + ": " + e.getMessage(), e);
        }
    }

    /** The object as JSON, through the BTF renderer. */
    public String toJson() {
        try {
            return btf.renderer().withMaxValues(1 << 16).renderJson(typeId, bytes());
        } catch (BtfException e) {
            throw new IntrospectionException("cannot render " + typeName() + ": " + e.getMessage(), e);
        }
    }

    /** Writes the object as one JSON value. */
    public void writeJson(JsonGenerator gen) throws IOException {
        try {
            btf.renderer().withMaxValues(1 << 16).renderJson(typeId, bytes(), gen);
        } catch (BtfException e) {
            throw new IntrospectionException("cannot render " + typeName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return String.format("(%s *) 0x%x", typeName(), address);
    }
}
