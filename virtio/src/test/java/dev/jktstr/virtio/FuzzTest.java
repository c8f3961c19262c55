package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random and malicious descriptor chains and ring states against the transport, the virtqueue code,
 * virtio-blk and virtio-console. Most chains are plausible requests (so the device code runs deep);
 * a fraction is mutated (loops, huge lengths, addresses in the hole or past RAM, indirect tables that
 * are nested, misaligned or too long, zero lengths, readable/writable swaps, index jumps, garbage
 * descriptor tables, random queue sizes and ring addresses). The only acceptable outcome of anything
 * the guest does is the failed state: no other exception, no hang, no failure reason that says
 * "internal error", and no byte written outside guest RAM (canaries around and between the RAM
 * ranges stay intact). Seeded: {@code -Djktstr.virtio.fuzz.seed=N}; scaled: {@code -Djktstr.virtio.fuzz.scale=X}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS) // a hang guard, not a performance assertion
class FuzzTest {

    private static final long SEED = Long.getLong("jktstr.virtio.fuzz.seed", 0x6a6b747374L);
    private static final double SCALE = Double.parseDouble(System.getProperty("jktstr.virtio.fuzz.scale", "1"));

    @TempDir
    Path tmp;

    @Test
    void blockOnRam() {
        fuzz("blk-ram", SEED, (long) (450_000 * SCALE), g -> new BlockFuzzer(g, VirtioBlock.ram(64 * 1024).build()));
    }

    @Test
    void blockOnFileReadOnlyAndWritable() throws IOException {
        Path image = tmp.resolve("fuzz.img");
        Files.write(image, new byte[64 * 1024]);
        fuzz("blk-file", SEED + 1, (long) (60_000 * SCALE), g -> new BlockFuzzer(g, VirtioBlock.file(image).build()));
        fuzz("blk-ro", SEED + 2, (long) (40_000 * SCALE),
                g -> new BlockFuzzer(g, VirtioBlock.file(image).readOnly(true).build()));
    }

    @Test
    void consoleMultiport() {
        fuzz("console", SEED + 3, (long) (500_000 * SCALE),
                g -> new ConsoleFuzzer(g, VirtioConsole.withNamedPorts(List.of("jktstr.ctl", "two"))));
    }

    private void fuzz(String what, long seed, long chains, java.util.function.Function<FakeGuest, Fuzzer> make) {
        try (FakeGuest guest = new FakeGuest()) {
            Fuzzer f = make.apply(guest);
            f.rnd = new Random(seed);
            long start = System.nanoTime();
            try {
                while (f.chains < chains) {
                    f.round();
                    if (f.rounds % 256 == 0) {
                        assertThat(guest.canariesIntact()).as("bytes outside guest RAM changed").isTrue();
                    }
                }
                assertThat(guest.canariesIntact()).as("bytes outside guest RAM changed").isTrue();
                // A fuzzer that never got past the device's checks, or never tripped them, tested nothing.
                assertThat(f.completed).as("used elements returned (the device did real work)").isGreaterThan(chains / 4);
                assertThat(f.failures).as("chains that drove the device to FAILED").isPositive()
                        .isLessThan(f.rounds / 2);
                assertThat(f.reasons).as("distinct reasons the device gave for failing").hasSizeGreaterThanOrEqualTo(3);
            } catch (Throwable t) {
                throw new AssertionError(what + " fuzz failed with seed " + seed + " in round " + f.rounds + ": " + t, t);
            } finally {
                f.close();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("fuzz %-8s seed %d: %,d chains in %,d rounds, %,d used elements returned, %,d failed"
                            + " states (%,d resets), %.1f s, %,.0f chains/s, slowest pass %.1f ms%n", what, seed,
                    f.chains, f.rounds, f.completed, f.failures, f.resets, seconds, f.chains / seconds,
                    f.slowestPass / 1e6);
            f.reasons.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(12)
                    .forEach(e -> System.out.printf("    %,8d  %s%n", e.getValue(), e.getKey()));
        }
    }

    /** A chain under construction: descriptors in order. */
    static final class Chain {
        long[] addr = new long[16];
        long[] len = new long[16];
        int[] flags = new int[16];
        int n;

        void clear() {
            n = 0;
        }

        void add(long a, long l, boolean writable) {
            if (n == addr.length) {
                addr = java.util.Arrays.copyOf(addr, n * 2);
                len = java.util.Arrays.copyOf(len, n * 2);
                flags = java.util.Arrays.copyOf(flags, n * 2);
            }
            addr[n] = a;
            len[n] = l;
            flags[n] = writable ? VRING_DESC_F_WRITE : 0;
            n++;
        }
    }

    abstract static class Fuzzer implements AutoCloseable {
        static final long RINGS = 0x1000;
        static final long RING_SLOT = 0x3000;
        static final long TABLES = 0x40000;
        static final long TABLES_END = 0x100000;
        static final long DATA = 0x100000;
        static final long DATA_END = 0x300000;
        static final long DATA_B = FakeGuest.B_BASE;
        static final long DATA_B_END = FakeGuest.B_BASE + 0x100000;

        final FakeGuest guest;
        final TestDriver d;
        final VirtioDevice device;
        final MemorySegment ram;
        Random rnd;
        final int queueCount;
        final int[] size;
        final long[] desc;
        final long[] avail;
        final long[] used;
        final int[] availIdx;
        final int[] seenUsed;
        final int[] cursor;
        final boolean[] ready;
        long features;
        long tableNext = TABLES;
        boolean initialized;
        final Chain chain = new Chain();
        long chains;
        long rounds;
        long completed;
        long failures;
        long resets;
        long slowestPass;
        final Map<String, Integer> reasons = new HashMap<>();

        Fuzzer(FakeGuest guest, VirtioDevice device, String name) {
            this.guest = guest;
            this.device = device;
            this.d = new TestDriver(guest, device, "fuzz." + name);
            d.device.mirrorReadsInto(mirror);
            this.ram = guest.ramA();
            this.queueCount = device.queueCount();
            size = new int[queueCount];
            desc = new long[queueCount];
            avail = new long[queueCount];
            used = new long[queueCount];
            availIdx = new int[queueCount];
            seenUsed = new int[queueCount];
            cursor = new int[queueCount];
            ready = new boolean[queueCount];
        }

        // ------------------------------------------------------------ transport-level chaos

        void init() {
            resets++;
            d.write(VIRTIO_MMIO_STATUS, 0);
            long offered = d.deviceFeatures();
            long wanted = offered;
            int r = rnd.nextInt(100);
            if (r < 8) {
                wanted &= ~((long) rnd.nextInt(1 << 4) << VIRTIO_RING_F_INDIRECT_DESC) & ~(long) rnd.nextInt(4);
                wanted |= 1L << VIRTIO_F_VERSION_1;
            } else if (r < 10) {
                wanted = rnd.nextLong(); // almost surely refused
            }
            if (!d.negotiate(wanted)) {
                d.negotiate(offered);
                wanted = offered;
            }
            features = wanted;
            for (int q = 0; q < queueCount; q++) {
                ready[q] = false;
                int s;
                int pick = rnd.nextInt(100);
                if (pick < 99) {
                    s = 1 << (pick < 60 ? 3 + rnd.nextInt(4) : rnd.nextInt(9));
                } else {
                    s = rnd.nextInt(600) - 50;
                }
                long base = RINGS + RING_SLOT * q;
                long dAddr = base;
                long aAddr = base + 0x1000;
                long uAddr = base + 0x1800;
                if (rnd.nextInt(100) < 1) {
                    long evil = switch (rnd.nextInt(6)) {
                        case 0 -> FakeGuest.HOLE - 8;
                        case 1 -> FakeGuest.END - 4;
                        case 2 -> rnd.nextLong();
                        case 3 -> base + 1 + rnd.nextInt(3);
                        case 4 -> FakeGuest.A_SIZE - 16L * Math.max(1, s) + 16;
                        default -> -2;
                    };
                    switch (rnd.nextInt(3)) {
                        case 0 -> dAddr = evil;
                        case 1 -> aAddr = evil;
                        default -> uAddr = evil;
                    }
                }
                // A driver zeroes its rings; the ring slot holds leftovers of earlier rounds.
                ram.asSlice(base, RING_SLOT).fill((byte) 0);
                size[q] = Math.max(1, Math.min(s, 256));
                desc[q] = base;
                avail[q] = base + 0x1000;
                used[q] = base + 0x1800;
                availIdx[q] = 0;
                seenUsed[q] = 0;
                cursor[q] = 0;
                if (rnd.nextInt(100) < 2 && q > 0) {
                    continue; // this queue is left unready
                }
                d.queue(q, s, dAddr, aAddr, uAddr);
                if (d.device.failed()) {
                    break;
                }
                ready[q] = s == size[q] && dAddr == base && aAddr == base + 0x1000 && uAddr == base + 0x1800;
            }
            if (rnd.nextInt(200) == 0) {
                // register storm: random writes anywhere in the window
                for (int i = 0; i < 20; i++) {
                    d.device.write(rnd.nextInt(0x200), 1 << rnd.nextInt(4), rnd.nextLong());
                    d.device.read(rnd.nextInt(0x200), 1 << rnd.nextInt(4));
                }
            }
            d.driverOk();
            initialized = true;
        }

        /** What a VMM would map read-only over the window: must equal the reads after every round. */
        final MemorySegment mirror = java.lang.foreign.Arena.ofAuto().allocate(0x1000);

        void round() {
            rounds++;
            if (rounds % 8 == 0) {
                RegisterMirrorTest.assertMirrorMatchesReads(d.device, mirror);
            }
            if (!initialized || d.device.failed() || rnd.nextInt(1000) == 0) {
                if (d.device.failed()) {
                    failures++;
                    String reason = d.device.failure().orElseThrow();
                    if (reason.startsWith("internal error")) {
                        throw new AssertionError("device hit an internal error: " + reason);
                    }
                    reasons.merge(reason.replaceAll("0x[0-9a-f]+|\\d+", "N"), 1, Integer::sum);
                }
                init();
            }
            int q = pickQueue();
            if (ready[q]) {
                int outstanding = (availIdx[q] - usedIdx(q)) & 0xffff;
                int k = 1 + rnd.nextInt(Math.min(size[q], 8));
                boolean chaos = rnd.nextInt(50) == 0; // ignore the driver's own bookkeeping this round
                if (outstanding + k <= size[q] || chaos) {
                    // A driver only reuses descriptors the device returned; all were returned or are
                    // still held by earlier chains, so one round uses at most the free ones.
                    int budget = size[q] - outstanding;
                    for (int i = 0; i < k; i++) {
                        chain.clear();
                        build(q, chain);
                        if (rnd.nextInt(100) < 4) {
                            mutate(q, chain);
                        }
                        boolean indirect = chain.n > 0 && rnd.nextInt(100)
                                < ((features & (1L << VIRTIO_RING_F_INDIRECT_DESC)) != 0 ? 20 : 1);
                        int need = indirect ? 1 : Math.max(1, chain.n);
                        if (need > budget && !chaos) {
                            break;
                        }
                        budget -= need;
                        emit(q, chain, indirect);
                        chains++;
                    }
                    writeAvailIdx(q, availIdx[q]);
                }
                ringChaos(q);
                d.write(VIRTIO_MMIO_QUEUE_NOTIFY, q);
            }
            long t0 = System.nanoTime();
            d.device.processNow();
            slowestPass = Math.max(slowestPass, System.nanoTime() - t0);
            for (int i = 0; i < queueCount; i++) {
                if (ready[i]) {
                    int u = usedIdx(i);
                    completed += (u - seenUsed[i]) & 0xffff;
                    seenUsed[i] = u;
                }
            }
            if (rnd.nextInt(4) == 0) {
                d.ackInterrupts();
            }
            host();
        }

        int usedIdx(int q) {
            return Short.toUnsignedInt(ram.get(Virtqueue.U16, used[q] + 2));
        }

        void writeAvailIdx(int q, int idx) {
            ram.set(Virtqueue.U16, avail[q] + 2, (short) idx);
        }

        void ringChaos(int q) {
            int r = rnd.nextInt(1000);
            if (r < 10) {
                int jump = rnd.nextInt(3) == 0 ? rnd.nextInt(65536) : size[q] + 1 + rnd.nextInt(8);
                availIdx[q] = (availIdx[q] + jump) & 0xffff;
                writeAvailIdx(q, availIdx[q]);
            } else if (r < 20) {
                ram.set(Virtqueue.U16, avail[q] + 4 + 2L * rnd.nextInt(size[q]), (short) rnd.nextInt(65536));
            } else if (r < 30) {
                // garbage descriptor table entries
                for (int i = 0; i < 4; i++) {
                    ram.set(Virtqueue.U64, desc[q] + 16L * rnd.nextInt(size[q]) + 8 * rnd.nextInt(2), rnd.nextLong());
                }
            } else if (r < 60) {
                ram.set(Virtqueue.U16, avail[q] + 4 + 2L * size[q], (short) rnd.nextInt(65536)); // used_event
            } else if (r < 80) {
                ram.set(Virtqueue.U16, avail[q], (short) rnd.nextInt(4)); // avail flags
            }
        }

        /** Writes the chain as direct descriptors or as one indirect table; publishes its head. */
        void emit(int q, Chain c, boolean indirect) {
            int s = size[q];
            int head = cursor[q];
            if (indirect) {
                long bytes = 16L * c.n;
                if (tableNext + bytes > TABLES_END) {
                    tableNext = TABLES;
                }
                long table = tableNext;
                tableNext += (bytes + 15) & ~15L;
                for (int i = 0; i < c.n; i++) {
                    boolean last = i == c.n - 1;
                    writeDesc(table, i, c.addr[i], c.len[i], c.flags[i] | (last ? 0 : VRING_DESC_F_NEXT), i + 1);
                }
                long tableLen = bytes;
                int headFlags = VRING_DESC_F_INDIRECT;
                int r = rnd.nextInt(100);
                if (r < 2) {
                    tableLen = bytes + 1 + rnd.nextInt(15);
                } else if (r < 4) {
                    headFlags |= VRING_DESC_F_NEXT;
                } else if (r < 6 && c.n > 0) {
                    // indirect in indirect
                    writeDesc(table, rnd.nextInt(c.n), table, bytes, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 0);
                } else if (r < 7) {
                    tableLen = 0;
                } else if (r < 8) {
                    tableLen = 16L * (s + 1 + rnd.nextInt(4));
                }
                writeDesc(desc[q], head, table, tableLen, headFlags | (rnd.nextInt(50) == 0 ? VRING_DESC_F_WRITE : 0),
                        rnd.nextInt(s));
                cursor[q] = (head + 1) % s;
            } else {
                int n = Math.max(c.n, 1);
                for (int i = 0; i < n; i++) {
                    int index = (head + i) % s;
                    boolean last = i == n - 1;
                    long a = c.n == 0 ? rnd.nextLong() : c.addr[i];
                    long l = c.n == 0 ? rnd.nextInt() : c.len[i];
                    int f = c.n == 0 ? rnd.nextInt(8) : c.flags[i];
                    writeDesc(desc[q], index, a, l, f | (last ? 0 : VRING_DESC_F_NEXT), (index + 1) % s);
                }
                cursor[q] = (head + n) % s;
            }
            ram.set(Virtqueue.U16, avail[q] + 4 + 2L * (availIdx[q] % s), (short) head);
            availIdx[q] = (availIdx[q] + 1) & 0xffff;
        }

        void writeDesc(long table, int i, long a, long l, int flags, int next) {
            long at = table + 16L * i;
            if (at < 0 || at + 16 > ram.byteSize()) {
                return;
            }
            ram.set(Virtqueue.U64, at, a);
            ram.set(Virtqueue.U32, at + 8, (int) l);
            ram.set(Virtqueue.U16, at + 12, (short) flags);
            ram.set(Virtqueue.U16, at + 14, (short) next);
        }

        void mutate(int q, Chain c) {
            if (c.n == 0) {
                return;
            }
            int i = rnd.nextInt(c.n);
            switch (rnd.nextInt(12)) {
                case 0 -> c.flags[i] ^= 1 << rnd.nextInt(3); // NEXT / WRITE / INDIRECT
                case 1 -> c.flags[i] ^= VRING_DESC_F_WRITE; // readable/writable swap
                case 2 -> c.addr[i] = FakeGuest.HOLE + rnd.nextInt((int) FakeGuest.HOLE_SIZE);
                case 3 -> c.addr[i] = FakeGuest.A_SIZE - rnd.nextInt(64); // straddles the end of RAM A
                case 4 -> c.addr[i] = FakeGuest.END - rnd.nextInt(64);
                case 5 -> c.addr[i] = rnd.nextLong();
                case 6 -> c.len[i] = 0xffffffffL - rnd.nextInt(16);
                case 7 -> c.len[i] = 0;
                case 8 -> c.len[i] = rnd.nextInt(1 << 24);
                case 9 -> {
                    // a loop: descriptors pointing back (direct emission links consecutively; make one long chain)
                    while (c.n < size[q] + 2 && c.n < 300) {
                        c.add(c.addr[0], c.len[0], (c.flags[0] & VRING_DESC_F_WRITE) != 0);
                    }
                }
                case 10 -> c.addr[i] = -1L - rnd.nextInt(4096);
                default -> {
                    c.addr[i] = rnd.nextLong(FakeGuest.END);
                    c.len[i] = rnd.nextInt(1 << 16);
                }
            }
        }

        /** A plausible data address for {@code len} bytes in one of the RAM ranges. */
        long data(long len) {
            if (rnd.nextInt(4) == 0) {
                return DATA_B + rnd.nextLong(DATA_B_END - DATA_B - len);
            }
            return DATA + rnd.nextLong(DATA_END - DATA - len);
        }

        /** A data address in RAM A, which this fuzzer writes directly. */
        long dataA(long len) {
            return DATA + rnd.nextLong(DATA_END - DATA - len);
        }

        abstract int pickQueue();

        abstract void build(int q, Chain c);

        abstract void host();

        @Override
        public void close() {
            d.device.close();
        }
    }

    static final class BlockFuzzer extends Fuzzer {
        private final long capacity;

        BlockFuzzer(FakeGuest guest, VirtioBlock block) {
            super(guest, block, "blk");
            this.capacity = block.capacitySectors();
        }

        @Override
        int pickQueue() {
            return 0;
        }

        @Override
        void build(int q, Chain c) {
            long header = dataA(16);
            int kind = rnd.nextInt(100);
            long type = kind < 35 ? VIRTIO_BLK_T_IN : kind < 70 ? VIRTIO_BLK_T_OUT : kind < 80 ? VIRTIO_BLK_T_FLUSH
                    : kind < 90 ? VIRTIO_BLK_T_GET_ID : rnd.nextInt(20);
            long sector = rnd.nextInt(10) < 8 ? rnd.nextLong(capacity + 4) : rnd.nextLong();
            ram.set(Virtqueue.U32, header, (int) type);
            ram.set(Virtqueue.U64, header + 8, sector);
            c.add(header, 16, false);
            boolean toDevice = type == VIRTIO_BLK_T_OUT;
            int segments = type == VIRTIO_BLK_T_FLUSH ? 0 : 1 + rnd.nextInt(3);
            for (int i = 0; i < segments; i++) {
                long len = rnd.nextInt(10) < 8 ? 512L * (1 + rnd.nextInt(8)) : rnd.nextInt(5000);
                c.add(data(len), len, !toDevice);
            }
            c.add(data(1), 1, true);
        }

        @Override
        void host() {
        }
    }

    static final class ConsoleFuzzer extends Fuzzer {
        private final VirtioConsole console;
        private final byte[] scratch = new byte[8192];

        ConsoleFuzzer(FakeGuest guest, VirtioConsole console) {
            super(guest, console, "console");
            this.console = console;
        }

        @Override
        int pickQueue() {
            int r = rnd.nextInt(100);
            if (r < 20) {
                return VirtioConsole.CONTROL_TRANSMIT;
            }
            if (r < 30) {
                return VirtioConsole.CONTROL_RECEIVE;
            }
            return rnd.nextInt(queueCount);
        }

        @Override
        void build(int q, Chain c) {
            if (q == VirtioConsole.CONTROL_TRANSMIT) {
                long at = dataA(16);
                int pick = rnd.nextInt(10);
                long id = pick < 7 ? rnd.nextInt(console.portCount()) : pick < 9 ? VIRTIO_CONSOLE_BAD_ID : rnd.nextInt();
                int event = rnd.nextInt(10) < 9 ? rnd.nextInt(8) : rnd.nextInt(65536);
                int value = rnd.nextInt(10) < 8 ? rnd.nextInt(2) : rnd.nextInt(65536);
                ram.set(Virtqueue.U32, at, (int) id);
                ram.set(Virtqueue.U16, at + 4, (short) event);
                ram.set(Virtqueue.U16, at + 6, (short) value);
                c.add(at, rnd.nextInt(20) == 0 ? rnd.nextInt(16) : 8, false);
            } else if (q == VirtioConsole.CONTROL_RECEIVE || q % 2 == 0) {
                int segments = 1 + rnd.nextInt(2);
                for (int i = 0; i < segments; i++) {
                    long len = rnd.nextInt(30) == 0 ? rnd.nextInt(9) : 16 + rnd.nextInt(4096);
                    c.add(data(len), len, true);
                }
            } else {
                int segments = 1 + rnd.nextInt(3);
                for (int i = 0; i < segments; i++) {
                    long len = rnd.nextInt(4096);
                    c.add(data(len), len, false);
                }
            }
        }

        @Override
        void host() {
            for (int p = 0; p < console.portCount(); p++) {
                ConsolePort port = console.port(p);
                try {
                    int available = port.fromGuest().available();
                    if (available > 0 && rnd.nextInt(3) > 0) {
                        port.fromGuest().read(scratch, 0, Math.min(available, scratch.length));
                    }
                    int n = 1 + rnd.nextInt(4096);
                    if (rnd.nextInt(3) == 0 && port.toGuest.size() + n <= port.toGuest.capacity()) {
                        port.toGuest().write(scratch, 0, n);
                    }
                } catch (IOException e) {
                    // the device failed: writers are told so until the guest resets it
                }
            }
        }
    }
}
