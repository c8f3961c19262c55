package dev.jktstr.btf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jktstr.btf.elf.Elf;
import dev.jktstr.btf.elf.ElfException;
import dev.jktstr.btf.elf.ElfSection;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.btf.ksym.KsymException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Property: any mutated or truncated BTF or ELF (either byte order) input ends in a valid result or a typed
 * exception of the families involved ({@link BtfException}, {@link ElfException}, {@link KsymException}): no other exception, no OutOfMemoryError or StackOverflowError, no hang. Every input runs through
 * the whole API (decode all types, sizes, field paths, raw and C dumps, value rendering; ELF sections,
 * symbols, notes, program headers, .BTF). {@code -Djktstr.fuzz.seed} and {@code -Djktstr.fuzz.inputs}
 * change the seed and the count (default 100,000 inputs).
 */
class FuzzTest {
    /** A single input taking this long means a hang or runaway work, not a slow machine. */
    private static final long HANG_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final byte[] ZEROS = new byte[512];

    private static final int[] INTERESTING = {0, 1, 2, 4, 8, 12, 16, 24, 0x7f, 0x80, 0xff, 0xffff, 0x10000,
        0x7fffffff, 0x80000000, 0xffffffff, 0x01000000, 0x0d000000, 0x13000000, 0x14000000, 0x84000001, 36, 37, 38};

    static byte[] mutate(byte[] seed, Random r) {
        byte[] b = seed.clone();
        int ops = 1 + r.nextInt(4);
        for (int op = 0; op < ops; op++) {
            switch (r.nextInt(6)) {
                case 0 -> b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                case 1 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                case 2, 3 -> {
                    int at = r.nextInt(Math.max(1, b.length - 3)) & ~3;
                    int v = INTERESTING[r.nextInt(INTERESTING.length)];
                    if (at + 4 <= b.length) {
                        b[at] = (byte) v;
                        b[at + 1] = (byte) (v >>> 8);
                        b[at + 2] = (byte) (v >>> 16);
                        b[at + 3] = (byte) (v >>> 24);
                    }
                }
                case 4 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1)); // truncate
                default -> { // copy a chunk elsewhere (confuses record boundaries)
                    if (b.length > 8) {
                        int len = 1 + r.nextInt(Math.min(32, b.length / 2));
                        int from = r.nextInt(b.length - len);
                        int to = r.nextInt(b.length - len);
                        System.arraycopy(b, from, b, to, len);
                    }
                }
            }
            if (b.length == 0) {
                break;
            }
        }
        return b;
    }

    /** Runs the whole BTF API over one input. */
    static void exerciseBtf(byte[] input, Btf base, Random r) {
        Btf btf = base == null ? Btf.fromBytes(input) : Btf.fromBytes(input, base);
        int n = btf.typeCount();
        for (int id = btf.firstId(); id < n; id++) {
            int i = id;
            attempt(() -> btf.type(i));
        }
        // the per-type queries on a few random types (each failure builds an exception: keep it brisk)
        for (int k = 0; k < 4 && n > btf.firstId(); k++) {
            int i = btf.firstId() + r.nextInt(n - btf.firstId());
            attempt(() -> btf.sizeOf(i));
            attempt(() -> btf.alignOf(i));
            attempt(() -> btf.typeName(i));
            attempt(() -> btf.resolve(i));
            attempt(() -> btf.renderer().withMaxValues(10_000).render(i, MemorySegment.ofArray(ZEROS)));
            attempt(() -> btf.renderer().withMaxValues(10_000).renderJson(i, MemorySegment.ofArray(ZEROS)));
        }
        attempt(btf::dumpRaw);
        attempt(btf::dumpC);
        attempt(() -> btf.fieldPath("item.ins[1].weight"));
        attempt(() -> btf.fieldPath("item", "as_int"));
        attempt(() -> btf.findAll("int"));
        attempt(() -> btf.find("item_t", BtfKind.TYPEDEF));
    }

    /** Runs the whole ELF API (and BTF/symbols on top) over one input. */
    static void exerciseElf(byte[] input) {
        Elf elf = Elf.of(MemorySegment.ofArray(input));
        attempt(elf::programHeaders);
        attempt(elf::notes);
        attempt(elf::symbols);
        attempt(elf::dynamicSymbols);
        for (ElfSection s : elf.sections()) {
            attempt(() -> elf.data(s));
        }
        attempt(() -> KernelSymbols.fromElf(elf));
        attempt(() -> {
            Btf btf = Btf.fromElf(elf);
            btf.dumpRaw();
            return btf.dumpC();
        });
    }

    interface Action {
        Object run();
    }

    /** An API call may fail, but only with one of the module's exception families. */
    static void attempt(Action a) {
        try {
            a.run();
        } catch (BtfException | ElfException | KsymException expected) {
            // a typed, explained failure is a valid outcome
        }
    }

    private record Seed(String kind, byte[] bytes, Btf base) {}

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void mutatedAndTruncatedInputsEndInResultsOrTypedExceptions() {
        long seed = Long.getLong("jktstr.fuzz.seed", 20251127L);
        int inputs = Integer.getInteger("jktstr.fuzz.inputs", 100_000);
        Random r = new Random(seed);
        BtfBuilder baseBuilder = BtfBuilder.allKinds();
        byte[] baseBytes = baseBuilder.build();
        Btf base = Btf.fromBytes(baseBytes);
        BtfBuilder split = new BtfBuilder(base.typeCount(), baseBuilder.stringsSize());
        int s = split.struct("module_state", 16, false, new Object[] {"count", 1, 0}, new Object[] {"it", 25, 64});
        split.ptr(s);
        split.typedef("module_state_t", s);
        List<Seed> seeds = new ArrayList<>();
        seeds.add(new Seed("btf", baseBytes, null));
        seeds.add(new Seed("split-btf", split.build(), base));
        seeds.add(new Seed("elf", ElfBuilder.small(baseBytes), null));
        seeds.add(new Seed("big-endian elf", ElfBuilder.small(baseBytes, ByteOrder.BIG_ENDIAN), null));
        // sanity: the seeds themselves are valid
        exerciseBtf(seeds.get(0).bytes(), null, r);
        exerciseBtf(seeds.get(1).bytes(), base, r);
        exerciseElf(seeds.get(2).bytes());
        exerciseElf(seeds.get(3).bytes());
        assertThat(Btf.fromElf(Elf.of(MemorySegment.ofArray(seeds.get(2).bytes()))).typeCount()).isEqualTo(37);
        assertThat(Btf.fromElf(Elf.of(MemorySegment.ofArray(seeds.get(3).bytes()))).typeCount()).isEqualTo(37);

        int[] typed = new int[4];
        int[] ok = new int[4];
        for (int i = 0; i < inputs; i++) {
            int which = i % 10 < 5 ? 0 : i % 10 < 7 ? 1 : i % 10 < 9 ? 2 : 3;
            Seed sd = seeds.get(which);
            byte[] input = mutate(sd.bytes(), r);
            long t0 = System.nanoTime();
            try {
                if (which >= 2) {
                    exerciseElf(input);
                } else {
                    exerciseBtf(input, sd.base(), r);
                }
                ok[which]++;
            } catch (BtfException | ElfException | KsymException e) {
                typed[which]++;
            } catch (Throwable e) {
                fail("input " + i + " (" + sd.kind() + ", seed " + seed + ") threw " + e + "\ninput: "
                        + HexFormat.of().formatHex(input), e);
            }
            long took = System.nanoTime() - t0;
            if (took > HANG_NANOS) {
                fail("input " + i + " (" + sd.kind() + ", seed " + seed + ") ran " + took / 1_000_000
                        + " ms: runaway work\ninput: " + HexFormat.of().formatHex(input));
            }
        }
        System.out.printf("fuzz: %d inputs; BTF %d ok / %d typed errors, split BTF %d / %d, ELF %d / %d,"
                + " big-endian ELF %d / %d%n", inputs, ok[0], typed[0], ok[1], typed[1], ok[2], typed[2], ok[3], typed[3]);
        assertThat(ok[0] + typed[0] + ok[1] + typed[1] + ok[2] + typed[2] + ok[3] + typed[3]).isEqualTo(inputs);
        assertThat(ok[0]).as("some mutated BTF still parses").isPositive();
        assertThat(typed[0]).as("some mutated BTF is rejected").isPositive();
    }
}
