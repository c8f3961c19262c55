package dev.jktstr.virtio;

import dev.jktstr.machine.GuestMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Guest RAM for tests: two RAM ranges with a hole between them, cut from one host allocation whose
 * bytes around and between the ranges are canaries the guest cannot reach. A device that computed
 * a host address wrongly would hit a canary; {@link #canariesIntact()} tells.
 *
 * <pre>
 * host:  [canary][ RAM A ][canary][ RAM B ][canary]
 * guest:  0x0 .. A_SIZE   HOLE     B_BASE .. B_BASE + B_SIZE
 * </pre>
 */
final class FakeGuest implements AutoCloseable {

    static final long CANARY = 64 * 1024;
    static final long A_BASE = 0;
    static final long A_SIZE = 8L << 20;
    static final long HOLE = A_BASE + A_SIZE;
    static final long HOLE_SIZE = 1L << 20;
    static final long B_BASE = HOLE + HOLE_SIZE;
    static final long B_SIZE = 8L << 20;
    static final long END = B_BASE + B_SIZE;
    private static final byte CANARY_BYTE = (byte) 0xA5;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment host;
    private final MemorySegment ramA;
    private final MemorySegment ramB;
    final GuestMemory memory;
    private long next;

    FakeGuest() {
        this(A_SIZE, B_SIZE);
    }

    FakeGuest(long aSize, long bSize) {
        host = arena.allocate(CANARY + aSize + CANARY + bSize + CANARY, 4096);
        host.fill(CANARY_BYTE);
        ramA = host.asSlice(CANARY, aSize);
        ramB = host.asSlice(CANARY + aSize + CANARY, bSize);
        ramA.fill((byte) 0);
        ramB.fill((byte) 0);
        memory = GuestMemory.of(List.of(new GuestMemory.Mapping(A_BASE, ramA),
                new GuestMemory.Mapping(A_BASE + aSize + HOLE_SIZE, ramB)));
        next = 0x1000;
    }

    /** Allocates {@code size} bytes of RAM A, aligned; never freed (tests are short). */
    long alloc(long size, long alignment) {
        long at = (next + alignment - 1) / alignment * alignment;
        if (at + size > ramA.byteSize()) {
            throw new IllegalStateException("fake guest RAM A exhausted");
        }
        next = at + size;
        return at;
    }

    /** Forgets all allocations (for fuzzing, which reuses RAM every round). */
    void resetAllocator(long from) {
        next = from;
    }

    long allocated() {
        return next;
    }

    boolean canariesIntact() {
        long aEnd = CANARY + ramA.byteSize();
        long bStart = aEnd + CANARY;
        long bEnd = bStart + ramB.byteSize();
        return allCanary(0, CANARY) && allCanary(aEnd, CANARY) && allCanary(bEnd, CANARY)
                && bStart - aEnd == CANARY;
    }

    private boolean allCanary(long offset, long length) {
        for (long i = 0; i < length; i += 8) {
            if (host.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + i) != 0xA5A5A5A5A5A5A5A5L) {
                return false;
            }
        }
        return true;
    }

    /** RAM A as a segment, for fuzzers that scribble over it directly. */
    MemorySegment ramA() {
        return ramA;
    }

    @Override
    public void close() {
        arena.close();
    }
}
