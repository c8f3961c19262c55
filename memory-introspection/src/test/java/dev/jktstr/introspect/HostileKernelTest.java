package dev.jktstr.introspect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.btf.Btf;
import dev.jktstr.btf.ksym.KernelSymbol;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.machine.GuestMemory;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A hostile guest kernel laid out by hand in fake guest RAM (typed by the test kernel's real BTF): map_idr lists
 * six maps 4,096 times, hash maps of 1,024 elements x 1 MiB values, per-CPU arrays of 1 MiB values on a kernel
 * claiming 8,192 CPUs, a fresh map BTF per map, leaders that all share one thread list. Snapshots stay within
 * their byte and node budgets (allocation measured per thread) and say what they left out as field errors.
 */
class HostileKernelTest {
    private static final long TEXT = 0xFFFF_FFFF_8100_0000L;
    private static final long POB = 0xFFFF_8880_0000_0000L;
    private static final long IMAGE_PA = 0x10_0000;
    private static final int MIB = 1 << 20;

    private static Btf btf;
    private static Arena arena;
    private static GuestMemory mem;
    private static KernelView view;

    @BeforeAll
    static void load() {
        btf = Btf.load(TestKernel.vmlinux());
        arena = Arena.ofShared();
        mem = GuestMemory.of(List.of(new GuestMemory.Mapping(0, arena.allocate(48L << 20, 4096))));
        KernelSymbols symbols = KernelSymbols.of(List.of(
                new KernelSymbol(TEXT, "_text", 'T', null),
                new KernelSymbol(TEXT + 0x1000, "map_idr", 'd', null),
                new KernelSymbol(TEXT + 0x2000, "nr_cpu_ids", 'D', null),
                new KernelSymbol(TEXT + 0x3000, "__cpu_online_mask", 'D', null),
                new KernelSymbol(TEXT + 0x4000, "prog_idr", 'd', null),
                new KernelSymbol(TEXT + 0x10000, "__per_cpu_offset", 'D', null),
                new KernelSymbol(TEXT + 0x20000, "init_task", 'D', null),
                new KernelSymbol(0x1000, "runqueues", 'D', null),
                new KernelSymbol(TEXT + 0x100000, "_end", 'B', null)));
        view = KernelView.ofLayout(mem, btf, symbols, IMAGE_PA, POB);
        build();
    }

    @AfterAll
    static void close() {
        if (arena != null) {
            arena.close();
        }
    }

    private static long va(long pa) {
        return POB + pa;
    }

    private static void put(long va, long value, int size) {
        byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
        mem.writeBytes(view.translate(va), java.util.Arrays.copyOf(b, size));
    }

    private static void set(GuestObject o, String field, long value) {
        GuestObject f = o.field(field);
        put(f.address(), value, (int) f.size());
    }

    private static final int MAPS = 6;
    private static final long XA = 0x60_0000;
    private static final long MAP_STRUCTS = 0x70_0000;
    private static final long BUCKETS = 0x80_0000;
    private static final long ELEMS = 0x90_0000;
    private static final long PERCPU_VALUE = 0xC0_0000;
    private static final long BTFS = 0xE0_0000;
    private static final long TASKS = 0x100_0000;
    private static final int NTASKS = 600;

    /** Lays the hostile kernel out in fake RAM. */
    private static void build() {
        // 8,192 CPUs claimed, all online, every per-CPU offset pointing at the same place
        put(TEXT + 0x2000, 8192, 4);
        for (int w = 0; w < 8192 / 64; w++) {
            put(TEXT + 0x3000 + 8L * w, -1L, 8);
        }
        for (int cpu = 0; cpu < 8192; cpu++) {
            put(TEXT + 0x10000 + 8L * cpu, va(0x40_0000), 8);
        }
        // map_idr: a root xa_node of 64 child nodes, each listing the same six maps over and over (4,096 listings)
        long nodeSize = btf.sizeOf(view.typeId("struct xa_node"));
        long slots = GuestObject.memberOffset(view, btf, view.typeId("struct xa_node"), "slots");
        GuestObject idr = view.global("map_idr", "struct idr");
        long root = va(XA);
        set(idr, "idr_rt.xa_head", root | 2);
        long[] maps = new long[MAPS];
        for (int k = 0; k < MAPS; k++) {
            maps[k] = va(MAP_STRUCTS + 0x2000L * k);
        }
        for (int i = 0; i < 64; i++) {
            long child = va(XA + nodeSize * (i + 1));
            put(root + slots + 8L * i, child | 2, 8);
            for (int j = 0; j < 64; j++) {
                put(child + slots + 8L * j, maps[j % MAPS], 8);
            }
        }
        // the element chain all hash maps share: 1,024 elements, 64 bytes apart, values overlapping
        put(va(BUCKETS), va(ELEMS), 8);
        for (int i = 0; i < 1024; i++) {
            put(va(ELEMS + 64L * i), i == 1023 ? 1 : va(ELEMS + 64L * (i + 1)), 8);
        }
        for (int k = 0; k < MAPS; k++) {
            boolean perCpu = k % 2 == 0;
            GuestObject outer = view.object(maps[k], perCpu ? "struct bpf_array" : "struct bpf_htab");
            long mapVa = outer.field("map").address();
            GuestObject m = view.object(mapVa, "struct bpf_map");
            // containerOf must find the outer struct at maps[k]: the map is its first member
            assertThat(mapVa).isEqualTo(maps[k]);
            set(m, "id", k + 1);
            mem.writeBytes(view.translate(m.field("name").address()), ("hostile" + k + "\0").getBytes());
            set(m, "map_type", perCpu ? 6 : 1); // BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_HASH
            set(m, "key_size", 4);
            set(m, "value_size", MIB);
            set(m, "max_entries", perCpu ? 1 : 1024);
            // a small, valid, fresh BTF per map (guest-chosen id)
            long b = va(BTFS + 0x2000L * k);
            GuestObject bo = view.object(b, "struct btf");
            byte[] raw = minimalBtf(4096);
            mem.writeBytes(view.translate(b + 0x1000), raw);
            set(bo, "data", b + 0x1000);
            set(bo, "data_size", raw.length);
            set(bo, "id", 1000 + k);
            set(m, "btf", b);
            if (perCpu) {
                set(outer, "elem_size", MIB);
                put(outer.field("pptrs").address(), va(PERCPU_VALUE) - va(0x40_0000), 8);
            } else {
                set(outer, "n_buckets", 1024);
                set(outer, "buckets", va(BUCKETS));
            }
        }
        // tasks: NTASKS leaders on init_task.tasks, every one's signal->thread_head the same list of all of them
        int task = view.typeId("task_struct");
        long taskSize = btf.sizeOf(task);
        long tasksOff = GuestObject.memberOffset(view, btf, task, "tasks");
        long threadOff = GuestObject.memberOffset(view, btf, task, "thread_node");
        long signal = va(TASKS + taskSize * NTASKS + 0x1000);
        long head = view.object(signal, "struct signal_struct").field("thread_head").address();
        long init = view.symbol("init_task");
        long prevTasks = init + tasksOff;
        long prevThread = head;
        for (int i = 0; i < NTASKS; i++) {
            long t = va(TASKS + taskSize * i);
            set(view.object(t, "task_struct"), "pid", 100 + i);
            set(view.object(t, "task_struct"), "signal", signal);
            put(prevTasks, t + tasksOff, 8);
            put(prevThread, t + threadOff, 8);
            prevTasks = t + tasksOff;
            prevThread = t + threadOff;
        }
        put(prevTasks, init + tasksOff, 8);
        put(prevThread, head, 8);
        buildProgs(nodeSize, slots);
    }

    private static final long PROG_XA = 0x200_0000;
    private static final long PROGS = 0x210_0000;
    private static final long PROG_STATS = 0x220_0000;

    /**
     * prog_idr: one xa_node listing three programs 64 times. Program 1 is sound (a struct_ops {@code enqueue} with
     * per-CPU stats); program 2's aux points outside RAM; program 3 has a terminal escape in its name, an
     * attach name outside RAM and no stats.
     */
    private static void buildProgs(long nodeSize, long slots) {
        long root = va(PROG_XA);
        set(view.global("prog_idr", "struct idr"), "idr_rt.xa_head", root | 2);
        long[] progs = {va(PROGS), va(PROGS + 0x4000), va(PROGS + 0x8000)};
        for (int j = 0; j < 64; j++) {
            put(root + slots + 8L * j, progs[j % 3], 8);
        }
        for (int k = 0; k < 3; k++) {
            GuestObject p = view.object(progs[k], "struct bpf_prog");
            long aux = progs[k] + 0x1000;
            set(p, "aux", k == 1 ? 0xFFFF_C900_DEAD_0000L : aux);
            set(p, "type", 27); // BPF_PROG_TYPE_STRUCT_OPS
            set(p, "len", 10);
            set(p, "jited_len", 77);
            set(p, "pages", 1);
            GuestObject a = view.object(aux, "struct bpf_prog_aux");
            set(a, "id", k + 1);
            set(a, "verified_insns", 1000 + k);
            String name = k == 2 ? "\u001b[31mred\0" : "good\0";
            mem.writeBytes(view.translate(a.field("name").address()), name.getBytes());
            mem.writeBytes(view.translate(aux + 0x800), "enqueue\0".getBytes());
            set(a, "attach_func_name", k == 2 ? 0xFFFF_C900_BEEF_0000L : aux + 0x800);
        }
        // every CPU's per-CPU offset points at 0x40_0000, so every CPU reads the same stats: 5 runs, 100 ns
        put(va(PROG_STATS), 5, 8);
        put(va(PROG_STATS) + 8, 100, 8);
        set(view.object(progs[0], "struct bpf_prog"), "stats", PROG_STATS - 0x40_0000);
    }

    /** A BTF blob with no types and a string section padded to {@code size} bytes in all. */
    private static byte[] minimalBtf(int size) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0xEB9F).put((byte) 1).put((byte) 0).putInt(24).putInt(0).putInt(0).putInt(0).putInt(size - 24);
        return b.array();
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void hostileMapsStayWithinTheSnapshotBudgetAndSayWhatTheyLeftOut() {
        long budget = 8L << 20;
        KernelWalkers walkers = new KernelWalkers(view, IntrospectionLimits.DEFAULT.withMaxCpus(2).withSnapshotBytes(budget));
        Introspector.read(walkers, SnapshotOptions.SCHEDULER_AND_MAPS); // warm up classes and caches
        long before = allocated();
        Snapshot s = Introspector.read(walkers, SnapshotOptions.SCHEDULER_AND_MAPS);
        long used = allocated() - before;
        System.out.printf("hostile maps: %d bytes allocated (budget %d), %d bytes charged, errors %s%n", used, budget,
                walkers.snapshotBytesUsed(), s.errors().size());
        // without the budget: 3 hash maps x 1 GiB, 3 per-CPU arrays x 8 GiB
        assertThat(used).isLessThan(budget + (8L << 20));
        assertThat(walkers.snapshotBytesUsed()).isLessThanOrEqualTo(budget);
        // each map once, however often map_idr lists it
        assertThat(s.maps()).hasSize(MAPS);
        assertThat(s.maps().stream().map(BpfMapState::id).distinct()).hasSize(MAPS);
        assertThat(s.errors()).anySatisfy(e -> assertThat(e.message()).contains("map_idr lists 6 maps 4096 times"));
        // CPU ids capped at the VM's two
        assertThat(s.errors()).anySatisfy(e -> assertThat(e.path()).isEqualTo("nr_cpu_ids"));
        assertThat(s.runqueues()).hasSizeLessThanOrEqualTo(2);
        BpfMapState first = s.maps().getFirst();
        assertThat(first.entries()).hasSize(1);
        assertThat(first.entries().getFirst().values()).hasSize(2);
        // the rest is cut off by the budget, as field errors that say so
        List<FieldError> budgetErrors = s.maps().stream().flatMap(m -> m.errors().stream())
                .filter(e -> e.error().equals("SnapshotBudgetException")).toList();
        assertThat(budgetErrors).isNotEmpty();
        assertThat(budgetErrors.getFirst().message()).contains("snapshot byte budget of " + budget + " bytes spent");
    }

    @Test
    void mapBtfCacheIsBoundedByBytesAndEvictsTheLeastRecentlyUsed() {
        KernelWalkers walkers = new KernelWalkers(view,
                IntrospectionLimits.DEFAULT.withMaxCpus(2).withSnapshotBytes(64L << 20).withBtfCacheBytes(3 * 4096));
        for (int round = 0; round < 5; round++) {
            // the guest picks new BTF ids every round; the cache never holds more than its bytes
            for (int k = 0; k < MAPS; k++) {
                GuestObject bo = view.object(va(BTFS + 0x2000L * k), "struct btf");
                set(bo, "id", 5000 + round * MAPS + k);
            }
            List<FieldError> errors = new java.util.ArrayList<>();
            walkers.beginSnapshot();
            walkers.bpfMaps(false, errors);
            assertThat(walkers.cachedBtfBytes()).isGreaterThan(0).isLessThanOrEqualTo(3 * 4096);
        }
    }

    @Test
    void leadersSharingOneThreadListAreWalkedOnceWithinTheNodeBudget() {
        KernelWalkers walkers = new KernelWalkers(view, IntrospectionLimits.DEFAULT.withMaxCpus(2));
        walkers.beginSnapshot();
        List<FieldError> errors = new java.util.ArrayList<>();
        long before = allocated();
        List<TaskInfo> tasks = walkers.tasks(true, errors);
        long used = allocated() - before;
        System.out.printf("shared thread list: %d bytes allocated, %d nodes visited%n", used, walkers.snapshotNodesUsed());
        assertThat(tasks).hasSize(NTASKS);
        // walking the shared list once per leader would allocate NTASKS x NTASKS list entries (tens of MiB)
        assertThat(used).isLessThan(8L << 20);
        // leaders once, the shared thread list once: not NTASKS x NTASKS
        assertThat(walkers.snapshotNodesUsed()).isLessThanOrEqualTo(2L * NTASKS);

        KernelWalkers tight = new KernelWalkers(view, IntrospectionLimits.DEFAULT.withMaxCpus(2).withSnapshotNodes(NTASKS + 10));
        tight.beginSnapshot();
        List<FieldError> tightErrors = new java.util.ArrayList<>();
        tight.tasks(true, tightErrors);
        assertThat(tight.snapshotNodesUsed()).isLessThanOrEqualTo(NTASKS + 10);
        assertThat(tightErrors).isNotEmpty();
    }

    @Test
    void hostileProgramsAreReadOnceWithAFieldErrorPerBrokenField() {
        KernelWalkers walkers = new KernelWalkers(view, IntrospectionLimits.DEFAULT.withMaxCpus(2));
        Snapshot s = Introspector.read(walkers, SnapshotOptions.SCHEDULER.withProgs(true));
        assertThat(s.errors()).anySatisfy(e -> assertThat(e.message()).contains("prog_idr lists 3 programs 64 times"));
        // program 2 cannot be read at all: one error on the walk, the others still come
        assertThat(s.errors()).anySatisfy(e -> {
            assertThat(e.path()).startsWith("bpf_prog@");
            assertThat(e.error()).isEqualTo("UnmappedAddressException");
        });
        assertThat(s.progs()).extracting(BpfProgState::id).containsExactly(1, 3);
        BpfProgState good = s.prog(1).orElseThrow();
        assertThat(good.errors()).isEmpty();
        assertThat(good.type()).isEqualTo("BPF_PROG_TYPE_STRUCT_OPS");
        assertThat(good.attachTo()).isEqualTo("enqueue");
        assertThat(good.attachType()).isEqualTo("member 0");
        assertThat(good.xlatedBytes()).isEqualTo(80);
        assertThat(good.jitedBytes()).isEqualTo(77);
        assertThat(good.memlockBytes()).isEqualTo(4096);
        assertThat(good.verifiedInsns()).isEqualTo(1000);
        // summed over the VM's two CPUs, not the 8,192 the guest claims
        assertThat(good.runCount()).isEqualTo(10);
        assertThat(good.runTimeNs()).isEqualTo(200);
        assertThat(good.meanRunNs()).isEqualTo(20.0);
        BpfProgState bad = s.prog(3).orElseThrow();
        assertThat(bad.errors()).extracting(FieldError::path)
                .anySatisfy(p -> assertThat(p).endsWith(".attach_func_name"))
                .anySatisfy(p -> assertThat(p).endsWith(".stats"));
        assertThat(bad.runCount()).isNull();
        assertThat(s.toText()).contains("prog 1 good BPF_PROG_TYPE_STRUCT_OPS -> enqueue verified=1000")
                .doesNotContain("\u001b");
        assertThat(s.toJson()).doesNotContain("\u001b");
    }

    @Test
    void outOfMemoryInAFieldIsAFieldError() {
        List<FieldError> errors = new java.util.ArrayList<>();
        Object r = FieldError.attempt(errors, "huge", () -> {
            throw new OutOfMemoryError("Java heap space");
        });
        assertThat(r).isNull();
        assertThat(errors).singleElement().satisfies(e -> assertThat(e.error()).isEqualTo("OutOfMemoryError"));
    }
}
