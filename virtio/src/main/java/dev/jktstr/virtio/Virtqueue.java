package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_RING_F_EVENT_IDX;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_RING_F_INDIRECT_DESC;
import static dev.jktstr.bindings.virtio.VirtioH.VRING_AVAIL_ALIGN_SIZE;
import static dev.jktstr.bindings.virtio.VirtioH.VRING_AVAIL_F_NO_INTERRUPT;
import static dev.jktstr.bindings.virtio.VirtioH.VRING_DESC_ALIGN_SIZE;
import static dev.jktstr.bindings.virtio.VirtioH.VRING_DESC_F_INDIRECT;
import static dev.jktstr.bindings.virtio.VirtioH.VRING_DESC_F_NEXT;
import static dev.jktstr.bindings.virtio.VirtioH.VRING_DESC_F_WRITE;
import static dev.jktstr.bindings.virtio.VirtioH.VRING_USED_ALIGN_SIZE;

import dev.jktstr.bindings.virtio.VringAvail;
import dev.jktstr.bindings.virtio.VringDesc;
import dev.jktstr.bindings.virtio.VringUsed;
import dev.jktstr.bindings.virtio.VringUsedElem;
import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.GuestMemoryException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The device side of one split virtqueue (virtio 1.2 §2.7): pops descriptor chains from the
 * available ring, validating every index and descriptor the guest wrote, pushes used elements and
 * decides whether the driver wants an interrupt (VRING_AVAIL_F_NO_INTERRUPT, or used_event with
 * VIRTIO_F_RING_EVENT_IDX). With EVENT_IDX it publishes avail_event whenever it runs dry, so the
 * driver kicks again exactly when new buffers arrive. Used by one thread at a time (the worker).
 */
final class Virtqueue {

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final long DESC_SIZE = VringDesc.LAYOUT.byteSize();
    static final long USED_ELEM_SIZE = VringUsedElem.LAYOUT.byteSize();
    private static final long AVAIL_RING = VringAvail.ring$OFFSET;
    private static final long USED_RING = VringUsed.ring$OFFSET;

    final int index;
    final int size;
    final GuestMemory memory;
    private final boolean eventIdx;
    private final boolean indirectAllowed;
    private final MemorySegment descTable;
    private final MemorySegment avail;
    private final MemorySegment used;
    private int lastAvail;
    private int usedIdx;
    private int signalledUsed;
    private boolean signalledValid;
    private boolean pushedSinceNotify;

    private Virtqueue(int index, int size, GuestMemory memory, long features, MemorySegment descTable,
            MemorySegment avail, MemorySegment used) {
        this.index = index;
        this.size = size;
        this.memory = memory;
        this.eventIdx = (features & (1L << VIRTIO_RING_F_EVENT_IDX)) != 0;
        this.indirectAllowed = (features & (1L << VIRTIO_RING_F_INDIRECT_DESC)) != 0;
        this.descTable = descTable;
        this.avail = avail;
        this.used = used;
    }

    /**
     * Validates the driver's queue configuration (size a power of two within the maximum, rings
     * aligned and inside RAM) and builds the queue; throws {@link GuestViolation} otherwise.
     */
    static Virtqueue create(int index, long size, int maxSize, long descAddr, long availAddr, long usedAddr,
            GuestMemory memory, long features) {
        if (size <= 0 || size > maxSize || Long.bitCount(size) != 1) {
            throw GuestViolation.of("queue %d: size %d is not a power of two between 1 and %d", index, size, maxSize);
        }
        int n = (int) size;
        MemorySegment desc = ring(index, "descriptor table", descAddr, VRING_DESC_ALIGN_SIZE, DESC_SIZE * n, memory);
        // The rings include the event fields (used_event, avail_event) whether or not EVENT_IDX is used.
        MemorySegment avail = ring(index, "available ring", availAddr, VRING_AVAIL_ALIGN_SIZE,
                AVAIL_RING + 2L * n + 2, memory);
        MemorySegment used = ring(index, "used ring", usedAddr, VRING_USED_ALIGN_SIZE,
                USED_RING + USED_ELEM_SIZE * n + 2, memory);
        return new Virtqueue(index, n, memory, features, desc, avail, used);
    }

    private static MemorySegment ring(int index, String what, long gpa, long alignment, long length,
            GuestMemory memory) {
        if (gpa % alignment != 0) {
            throw GuestViolation.of("queue %d: %s at 0x%x is not %d-byte aligned", index, what, gpa, alignment);
        }
        try {
            return memory.segment(gpa, length);
        } catch (GuestMemoryException e) {
            throw GuestViolation.of("queue %d: %s at 0x%x (%d bytes) is not inside guest RAM", index, what, gpa,
                    length);
        }
    }

    GuestViolation violation(String format, Object... args) {
        return new GuestViolation("queue " + index + ": " + String.format(format, args));
    }

    /** Entries the driver made available that the device has not taken yet. */
    int pending() {
        int availIdx = Short.toUnsignedInt(avail.get(U16, VringAvail.idx$OFFSET));
        VarHandle.acquireFence();
        int pending = (availIdx - lastAvail) & 0xffff;
        if (pending > size) {
            throw violation("available index moved %d entries ahead of the device (%d -> %d), more than the queue"
                    + " size %d", pending, lastAvail, availIdx, size);
        }
        return pending;
    }

    /**
     * Whether the driver has made nothing available. With EVENT_IDX an empty ring publishes
     * avail_event (kick me at the next entry) and looks again, so a buffer added meanwhile is not
     * missed.
     */
    boolean isEmpty() {
        if (pending() != 0) {
            return false;
        }
        if (!eventIdx) {
            return true;
        }
        used.set(U16, USED_RING + USED_ELEM_SIZE * size, (short) lastAvail);
        VarHandle.fullFence();
        return pending() == 0;
    }

    /** The next available chain, validated, or null when the ring is empty. */
    DescriptorChain pop() {
        if (isEmpty()) {
            return null;
        }
        int head = Short.toUnsignedInt(avail.get(U16, AVAIL_RING + 2L * (lastAvail % size)));
        DescriptorChain chain = parse(head);
        lastAvail = (lastAvail + 1) & 0xffff;
        return chain;
    }

    private DescriptorChain parse(int head) {
        if (head >= size) {
            throw violation("available ring entry %d names descriptor %d, beyond the queue size %d", lastAvail, head,
                    size);
        }
        DescriptorChain chain = new DescriptorChain(this, head);
        int i = head;
        for (int walked = 1; ; walked++) {
            if (walked > size) {
                throw violation("descriptor chain longer than the queue size (loop?) at head %d", head);
            }
            long at = DESC_SIZE * i;
            long addr = descTable.get(U64, at + VringDesc.addr$OFFSET);
            long len = Integer.toUnsignedLong(descTable.get(U32, at + VringDesc.len$OFFSET));
            int flags = Short.toUnsignedInt(descTable.get(U16, at + VringDesc.flags$OFFSET));
            int next = Short.toUnsignedInt(descTable.get(U16, at + VringDesc.next$OFFSET));
            if ((flags & VRING_DESC_F_INDIRECT) != 0) {
                if (!indirectAllowed) {
                    throw violation("descriptor %d is indirect but VIRTIO_RING_F_INDIRECT_DESC was not negotiated", i);
                }
                if ((flags & VRING_DESC_F_NEXT) != 0) {
                    throw violation("indirect descriptor %d also has VRING_DESC_F_NEXT", i);
                }
                parseIndirect(chain, i, addr, len);
                return chain;
            }
            addSegment(chain, addr, len, (flags & VRING_DESC_F_WRITE) != 0);
            if ((flags & VRING_DESC_F_NEXT) == 0) {
                return chain;
            }
            if (next >= size) {
                throw violation("descriptor %d chains to %d, beyond the queue size %d", i, next, size);
            }
            i = next;
        }
    }

    private void parseIndirect(DescriptorChain chain, int descriptor, long tableAddr, long tableLength) {
        if (tableLength == 0 || tableLength % DESC_SIZE != 0) {
            throw violation("indirect table of descriptor %d is %d bytes, not a non-zero multiple of %d", descriptor,
                    tableLength, DESC_SIZE);
        }
        long entries = tableLength / DESC_SIZE;
        if (entries > size) {
            throw violation("indirect table of descriptor %d has %d entries, more than the queue size %d", descriptor,
                    entries, size);
        }
        MemorySegment table = table(descriptor, tableAddr, tableLength);
        int j = 0;
        for (int walked = 1; ; walked++) {
            if (walked > entries) {
                throw violation("indirect descriptor chain longer than its %d-entry table (loop?)", entries);
            }
            long at = DESC_SIZE * j;
            long addr = table.get(U64, at + VringDesc.addr$OFFSET);
            long len = Integer.toUnsignedLong(table.get(U32, at + VringDesc.len$OFFSET));
            int flags = Short.toUnsignedInt(table.get(U16, at + VringDesc.flags$OFFSET));
            int next = Short.toUnsignedInt(table.get(U16, at + VringDesc.next$OFFSET));
            if ((flags & VRING_DESC_F_INDIRECT) != 0) {
                throw violation("indirect table entry %d is itself indirect", j);
            }
            addSegment(chain, addr, len, (flags & VRING_DESC_F_WRITE) != 0);
            if ((flags & VRING_DESC_F_NEXT) == 0) {
                return;
            }
            if (next >= entries) {
                throw violation("indirect table entry %d chains to %d, beyond the table's %d entries", j, next,
                        entries);
            }
            j = next;
        }
    }

    /**
     * The indirect table, read once: copied out of guest memory so the guest cannot change an entry
     * between its validation and its use.
     */
    private MemorySegment table(int descriptor, long addr, long length) {
        try {
            return MemorySegment.ofArray(memory.readBytes(addr, (int) length));
        } catch (GuestMemoryException e) {
            throw violation("indirect table of descriptor %d at 0x%x (%d bytes) is not inside guest RAM", descriptor,
                    addr, length);
        }
    }

    private void addSegment(DescriptorChain chain, long addr, long len, boolean deviceWritable) {
        if (len != 0 && !memory.isRam(addr, len)) {
            throw violation("buffer [0x%x, +%d) of the chain at head %d is not inside guest RAM", addr, len,
                    chain.head);
        }
        chain.add(addr, len, deviceWritable);
    }

    /** Returns a chain to the driver with {@code written} bytes written into its writable part. */
    void push(DescriptorChain chain, long written) {
        if (chain.queue != this) {
            throw new IllegalStateException("chain of queue " + chain.queue.index + " pushed to queue " + index);
        }
        long at = USED_RING + USED_ELEM_SIZE * (usedIdx % size);
        used.set(U32, at + VringUsedElem.id$OFFSET, chain.head);
        used.set(U32, at + VringUsedElem.len$OFFSET, (int) written);
        usedIdx = (usedIdx + 1) & 0xffff;
        // The element (and the data written into the buffers) before the index that publishes it.
        VarHandle.releaseFence();
        used.set(U16, VringUsed.idx$OFFSET, (short) usedIdx);
        pushedSinceNotify = true;
    }

    /**
     * Whether the driver wants an interrupt for what was pushed since the last call (virtio 1.2
     * §2.7.7.2 and §2.7.10). Called once per batch.
     */
    boolean takeNotification() {
        if (!pushedSinceNotify) {
            return false;
        }
        pushedSinceNotify = false;
        // The used index store must be visible before the driver's suppression fields are read.
        VarHandle.fullFence();
        if (eventIdx) {
            int old = signalledUsed;
            boolean valid = signalledValid;
            signalledUsed = usedIdx;
            signalledValid = true;
            if (!valid) {
                return true;
            }
            int usedEvent = Short.toUnsignedInt(avail.get(U16, AVAIL_RING + 2L * size));
            return ((usedIdx - usedEvent - 1) & 0xffff) < ((usedIdx - old) & 0xffff);
        }
        return (avail.get(U16, VringAvail.flags$OFFSET) & VRING_AVAIL_F_NO_INTERRUPT) == 0;
    }

    @Override
    public String toString() {
        return "queue " + index + " (size " + size + ", avail " + lastAvail + ", used " + usedIdx + ")";
    }
}
