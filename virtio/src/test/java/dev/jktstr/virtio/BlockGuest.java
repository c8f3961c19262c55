package dev.jktstr.virtio;

import dev.jktstr.virtio.TestDriver.Buf;
import dev.jktstr.virtio.TestDriver.GuestQueue;
import dev.jktstr.virtio.TestDriver.Used;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** The guest side of a virtio-blk: requests as Linux builds them (header, data, status). */
final class BlockGuest {

    static final int QUEUE_SIZE = 64;

    final TestDriver d;
    final VirtioBlock block;
    GuestQueue q;
    private final long headers;
    private final long statuses;

    BlockGuest(FakeGuest guest, VirtioBlock block) {
        this.d = new TestDriver(guest, block, "blk");
        this.block = block;
        this.headers = guest.alloc(16L * QUEUE_SIZE, 16);
        this.statuses = guest.alloc(QUEUE_SIZE, 1);
    }

    BlockGuest init() {
        d.negotiateAll();
        return start();
    }

    BlockGuest start() {
        q = d.queue(0, QUEUE_SIZE);
        d.driverOk();
        return this;
    }

    /** Posts a request: header, the data buffers (writable for IN and GET_ID), status; returns the head. */
    int post(long type, long sector, Buf... data) {
        int head = q.nextFree();
        long header = headers + 16L * head;
        MemorySegment h = d.seg(header, 16);
        h.set(Virtqueue.U32, 0, (int) type);
        h.set(Virtqueue.U32, 4, 0);
        h.set(Virtqueue.U64, 8, sector);
        d.seg(statuses + head, 1).set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 0x7f);
        List<Buf> bufs = new ArrayList<>();
        bufs.add(Buf.out(header, 16));
        bufs.addAll(List.of(data));
        bufs.add(Buf.in(statuses + head, 1));
        int posted = q.post(bufs.toArray(Buf[]::new));
        if (posted != head) {
            throw new AssertionError("posted at " + posted + ", expected " + head);
        }
        return head;
    }

    int status(int head) {
        return d.seg(statuses + head, 1).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) & 0xff;
    }

    /** Kicks, processes on this thread, and returns what came back. */
    List<Used> run() {
        q.kick();
        d.device.processNow();
        return q.reap();
    }

    /** One request run to completion; returns its status byte. */
    int request(long type, long sector, Buf... data) {
        int head = post(type, sector, data);
        List<Used> used = run();
        if (used.size() != 1 || used.get(0).head() != head) {
            throw new AssertionError("expected head " + head + " back, got " + used + "; failure "
                    + d.device.failure());
        }
        return status(head);
    }
}
