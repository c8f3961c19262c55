package dev.jktstr.introspect;

import dev.jktstr.btf.Btf;
import dev.jktstr.btf.BtfKind;
import dev.jktstr.btf.BtfType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Walkers over a {@link KernelView}: runqueues, tasks, sched_ext state, dispatch queues and BPF maps.
 * Every loop over guest-controlled structures is bounded; every field is read on its own, so a corrupted
 * kernel yields partial results with a {@link FieldError} per failed field.
 */
public final class KernelWalkers {
    /** More tasks than any test guest runs; a longer list is treated as corrupt. */
    static final int MAX_TASKS = 100_000;
    static final int MAX_MAPS = 4096;
    static final int MAX_MAP_ENTRIES = 1024;
    static final long MAX_MAP_BYTES = 1 << 20;
    private static final int MAX_BTF_BYTES = 16 << 20;

    private final KernelView view;
    private final IntrospectionLimits limits;
    /** What the current snapshot may still spend; reset by {@link #beginSnapshot()}. */
    private final SnapshotBudget budget;
    /** Program BTF parsed from guest memory, keyed by (struct btf address, id); LRU, bounded by raw bytes. */
    private final LinkedHashMap<String, CachedBtf> mapBtfs = new LinkedHashMap<>(16, 0.75f, true);
    private long mapBtfBytes;

    private record CachedBtf(Btf btf, long bytes) {}

    public KernelWalkers(KernelView view) {
        this(view, IntrospectionLimits.DEFAULT.withMaxCpus(view.cpuLimit()));
    }

    /** Walkers spending at most {@code limits} per snapshot; CPU ids are capped at {@code limits.maxCpus()}. */
    public KernelWalkers(KernelView view, IntrospectionLimits limits) {
        this.view = view;
        this.limits = limits;
        this.budget = new SnapshotBudget(limits);
        view.limitCpus(limits.maxCpus());
    }

    public IntrospectionLimits limits() {
        return limits;
    }

    /** Starts a new snapshot's byte and node budget. */
    public void beginSnapshot() {
        budget.reset();
    }

    /** Bytes read from guest memory into the host since {@link #beginSnapshot()} (charged before each read). */
    public long snapshotBytesUsed() {
        return budget.bytesUsed();
    }

    /** Linked nodes visited since {@link #beginSnapshot()}. */
    public long snapshotNodesUsed() {
        return budget.nodesUsed();
    }

    /** Raw bytes of map BTF held in the cache now. */
    public synchronized long cachedBtfBytes() {
        return mapBtfBytes;
    }

    public KernelView view() {
        return view;
    }

    // ---------------------------------------------------------------- runqueues

    /** Every online CPU's runqueue. */
    public List<RunqueueState> runqueues(List<FieldError> errors) {
        FieldError.attempt(errors, "nr_cpu_ids", () -> {
            int stated = view.guestNrCpuIds();
            if (stated > view.cpuLimit()) {
                throw new CorruptGuestDataException("nr_cpu_ids reads " + stated + ", more than the VM's "
                        + view.cpuLimit() + " vCPUs; CPUs from " + view.cpuLimit() + " on are not read");
            }
            return null;
        });
        List<Integer> cpus = FieldError.attempt(errors, "__cpu_online_mask", view::onlineCpus);
        List<RunqueueState> out = new ArrayList<>();
        if (cpus != null) {
            for (int cpu : cpus) {
                out.add(runqueue(cpu));
            }
        }
        return out;
    }

    public RunqueueState runqueue(int cpu) {
        List<FieldError> errors = new ArrayList<>();
        String p = "rq[" + cpu + "].";
        GuestObject rq = FieldError.attempt(errors, p + "address", () -> view.percpu("runqueues", cpu));
        if (rq == null) {
            return new RunqueueState(cpu, null, null, null, null, null, null, null, null, errors);
        }
        Long nr = FieldError.attempt(errors, p + "nr_running", () -> rq.field("nr_running").asLong());
        Long clock = FieldError.attempt(errors, p + "clock", () -> rq.field("clock").asLong());
        GuestObject curr = FieldError.attempt(errors, p + "curr", () -> rq.field("curr").deref());
        Integer pid = curr == null ? null : FieldError.attempt(errors, p + "curr.pid", () -> curr.field("pid").asInt());
        String comm = curr == null ? null : FieldError.attempt(errors, p + "curr.comm", () -> curr.field("comm").asString());
        Long switches = FieldError.attempt(errors, p + "nr_switches", () -> rq.field("nr_switches").asLong());
        Long scxNr = FieldError.attempt(errors, p + "scx.nr_running", () -> rq.field("scx.nr_running").asLong());
        Long scxFlags = FieldError.attempt(errors, p + "scx.flags", () -> rq.field("scx.flags").asLong());
        Long local = FieldError.attempt(errors, p + "scx.local_dsq.nr", () -> rq.field("scx.local_dsq.nr").asLong());
        return new RunqueueState(cpu, nr, clock, pid, comm, switches, scxNr, scxFlags, local, errors);
    }

    // ---------------------------------------------------------------- tasks

    /**
     * Every task: thread-group leaders from {@code init_task.tasks}, and with {@code threads} each
     * leader's other threads from {@code signal->thread_head}. The idle tasks (pid 0) are not listed,
     * as in /proc.
     */
    public List<TaskInfo> tasks(boolean threads, List<FieldError> errors) {
        List<TaskInfo> out = new ArrayList<>();
        List<GuestObject> leaders = FieldError.attempt(errors, "init_task.tasks", () -> {
            long head = view.global("init_task", "task_struct").field("tasks").address();
            return view.listEntries(head, "task_struct", "tasks", (int) Math.min(MAX_TASKS, budget.nodesLeft()));
        });
        if (leaders == null) {
            return out;
        }
        if (FieldError.attempt(errors, "init_task.tasks", () -> {
            budget.nodes(leaders.size(), "init_task.tasks");
            return true;
        }) == null) {
            return out;
        }
        Set<Long> seen = new HashSet<>();
        Set<Long> threadLists = new HashSet<>();
        for (GuestObject leader : leaders) {
            List<GuestObject> members = List.of(leader);
            if (threads) {
                // Each thread list is walked once, and all of them together share the snapshot's node budget
                // (and MAX_TASKS), so leaders sharing one list cannot make this quadratic.
                String at = "task@" + hex(leader.address()) + ".signal.thread_head";
                List<GuestObject> group = FieldError.attempt(errors, at, () -> {
                    long head = leader.field("signal").deref().field("thread_head").address();
                    if (!threadLists.add(head)) {
                        return List.<GuestObject>of(); // walked already for another leader
                    }
                    int max = (int) Math.max(0, Math.min(MAX_TASKS - out.size(), budget.nodesLeft()));
                    List<GuestObject> g = view.listEntries(head, "task_struct", "thread_node", max);
                    budget.nodes(g.size(), at);
                    return g;
                });
                if (group != null && !group.isEmpty()) {
                    members = group;
                }
            }
            for (GuestObject t : members) {
                if (out.size() >= MAX_TASKS) {
                    errors.add(new FieldError("tasks", CorruptGuestDataException.class.getSimpleName(),
                            "more than " + MAX_TASKS + " tasks"));
                    return out;
                }
                if (seen.add(t.address())) {
                    TaskInfo info = FieldError.attempt(errors, "task@" + hex(t.address()), () -> task(t));
                    if (info != null) {
                        out.add(info);
                    }
                }
            }
        }
        return out;
    }

    /** One task_struct decoded. */
    public TaskInfo task(GuestObject t) {
        int pid = t.field("pid").asInt();
        int tgid = t.field("tgid").asInt();
        String comm = t.field("comm").asString();
        long state = t.field("__state").asLong();
        long exitState = t.field("exit_state").asLong();
        String cls;
        try {
            cls = view.symbolName(t.field("sched_class").pointerValue());
        } catch (IntrospectionException e) {
            cls = "?";
        }
        int cpu = (view.member(view.btf(), t.typeId(), "cpu") != null ? t.field("cpu") : t.field("thread_info.cpu")).asInt();
        return new TaskInfo(pid, tgid, comm, stateLetter(state, exitState), state, cls, cpu, t.address());
    }

    /** The /proc state letter, as fs/proc/array.c's task_state_array orders them. */
    static String stateLetter(long state, long exitState) {
        long s = (state | exitState) & 0x7F;
        if (state == 0x402) {
            return "I"; // TASK_IDLE = TASK_UNINTERRUPTIBLE | TASK_NOLOAD
        }
        if (s == 0) {
            return "R";
        }
        String letters = "SDTtXZP";
        int bit = Long.numberOfTrailingZeros(s);
        return bit < letters.length() ? String.valueOf(letters.charAt(bit)) : "?";
    }

    // ---------------------------------------------------------------- sched_ext

    public SchedExtState schedExt() {
        List<FieldError> errors = new ArrayList<>();
        String stateName = FieldError.attempt(errors, "scx_ops_enable_state_var", () -> {
            String var = view.hasSymbol("scx_ops_enable_state_var") ? "scx_ops_enable_state_var" : "scx_enable_state_var";
            long v = view.global(var, "atomic_t").field("counter").asLong();
            String enumName = view.btf().find("scx_ops_enable_state", BtfKind.ENUM).isPresent()
                    ? "scx_ops_enable_state" : "scx_enable_state";
            return enumerator(enumName, v).toLowerCase(Locale.ROOT).replaceFirst("^scx_(ops_)?", "");
        });
        Boolean enabled = stateName == null ? null : stateName.equals("enabled");
        String ops = FieldError.attempt(errors, "scx_ops.name", () -> {
            if (view.hasSymbol("scx_ops")) {
                return view.global("scx_ops", "struct sched_ext_ops").field("name").asString();
            }
            long p = view.readLong(view.symbol("scx_root"));
            return p == 0 ? "" : view.object(p, "struct scx_sched").field("ops.name").asString();
        });
        String exitKind = FieldError.attempt(errors, "scx_exit_kind", () ->
                enumerator("scx_exit_kind", view.global("scx_exit_kind", "atomic_t").field("counter").asLong()));
        String[] reason = new String[1];
        String[] msg = new String[1];
        Long[] code = new Long[1];
        FieldError.attempt(errors, "scx_exit_info", () -> {
            long p = view.readLong(view.symbol("scx_exit_info"));
            if (p != 0) {
                GuestObject ei = view.object(p, "struct scx_exit_info");
                code[0] = FieldError.attempt(errors, "scx_exit_info.exit_code", () -> ei.field("exit_code").asLong());
                reason[0] = FieldError.attempt(errors, "scx_exit_info.reason",
                        () -> ei.field("reason").isNull() ? "" : ei.field("reason").asString());
                msg[0] = FieldError.attempt(errors, "scx_exit_info.msg",
                        () -> ei.field("msg").isNull() ? "" : ei.field("msg").asString());
            }
            return null;
        });
        Long watchdog = FieldError.attempt(errors, "scx_watchdog_timeout",
                () -> view.readLong(view.symbol("scx_watchdog_timeout")));
        Boolean switchingAll = FieldError.attempt(errors, "scx_switching_all",
                () -> view.readBytes(view.symbol("scx_switching_all"), 1)[0] != 0);
        Map<String, Long> events = new LinkedHashMap<>();
        counter(errors, events, "nr_rejected", "scx_nr_rejected");
        counter(errors, events, "enable_seq", "scx_enable_seq");
        counter(errors, events, "hotplug_seq", "scx_hotplug_seq");
        counter(errors, events, "bypass_depth", "scx_ops_bypass_depth");
        perCpuEvents(errors, events);
        return new SchedExtState(enabled, stateName, ops, exitKind, reason[0], msg[0], code[0], watchdog, switchingAll,
                events, errors);
    }

    private void counter(List<FieldError> errors, Map<String, Long> events, String name, String symbol) {
        if (view.hasSymbol(symbol)) {
            Long v = FieldError.attempt(errors, symbol, () -> view.readLong(view.symbol(symbol)));
            if (v != null) {
                events.put(name, name.equals("bypass_depth") ? (long) (int) (long) v : v);
            }
        }
    }

    /** Kernels with {@code struct scx_event_stats} (6.15+) keep per-CPU event counters; sum them. */
    private void perCpuEvents(List<FieldError> errors, Map<String, Long> events) {
        var statsType = view.btf().find("scx_event_stats", BtfKind.STRUCT);
        if (statsType.isEmpty() || !view.hasSymbol("event_stats_cpu")) {
            return;
        }
        FieldError.attempt(errors, "event_stats_cpu", () -> {
            BtfType.Composite c = (BtfType.Composite) view.type(view.btf(), statsType.getAsInt());
            for (int cpu : view.onlineCpus()) {
                GuestObject s = view.percpu("event_stats_cpu", cpu);
                for (BtfType.Member m : c.members()) {
                    events.merge(m.name(), s.field(m.name()).asLong(), Long::sum);
                }
            }
            return null;
        });
    }

    private String enumerator(String enumName, long value) {
        int id = view.btf().find(enumName, BtfKind.ENUM).orElseThrow(
                () -> new IntrospectionException("no enum " + enumName + " in the kernel's BTF"));
        for (BtfType.Enumerator e : ((BtfType.Enum) view.type(view.btf(), id)).values()) {
            if (e.value() == value) {
                return e.name();
            }
        }
        return Long.toString(value);
    }

    // ---------------------------------------------------------------- DSQs

    /** Local DSQs of online CPUs, the per-node global DSQs and the scheduler's own DSQs ({@code dsq_hash}). */
    public List<DsqState> dsqs(List<FieldError> errors) {
        List<DsqState> out = new ArrayList<>();
        List<Integer> cpus = FieldError.attempt(errors, "__cpu_online_mask", view::onlineCpus);
        for (int cpu : cpus == null ? List.<Integer>of() : cpus) {
            DsqState d = FieldError.attempt(errors, "rq[" + cpu + "].scx.local_dsq",
                    () -> dsq("local", cpu, view.percpu("runqueues", cpu).field("scx.local_dsq")));
            if (d != null) {
                out.add(d);
            }
        }
        if (view.hasSymbol("global_dsqs")) {
            FieldError.attempt(errors, "global_dsqs", () -> {
                long arr = view.readLong(view.symbol("global_dsqs"));
                if (arr == 0) {
                    return null;
                }
                int nodes = view.readInt(view.symbol("nr_node_ids"));
                if (nodes <= 0 || nodes > 1024) {
                    throw new CorruptGuestDataException("nr_node_ids reads " + nodes);
                }
                for (int node = 0; node < nodes; node++) {
                    long p = view.readLong(arr + 8L * node);
                    if (p != 0) {
                        out.add(dsq("global", node, view.object(p, "struct scx_dispatch_q")));
                    }
                }
                return null;
            });
        } else if (view.hasSymbol("scx_dsq_global")) {
            // before per-node global DSQs (6.12), one static global DSQ; not exercised by the 6.12 test kernel
            DsqState d = FieldError.attempt(errors, "scx_dsq_global",
                    () -> dsq("global", 0, view.global("scx_dsq_global", "struct scx_dispatch_q")));
            if (d != null) {
                out.add(d);
            }
        }
        if (view.hasSymbol("dsq_hash")) {
            FieldError.attempt(errors, "dsq_hash", () -> {
                userDsqs(out);
                return null;
            });
        }
        return out;
    }

    private static DsqState dsq(String kind, int owner, GuestObject q) {
        return new DsqState(kind, owner, q.field("id").asLong(), q.field("nr").asLong(), q.field("seq").asLong());
    }

    /** Walks the rhashtable of user DSQs: bucket chains end in an odd "nulls" marker. */
    private void userDsqs(List<DsqState> out) {
        GuestObject ht = view.global("dsq_hash", "struct rhashtable");
        if (ht.field("tbl").isNull()) {
            return;
        }
        GuestObject tbl = ht.field("tbl").deref();
        long size = tbl.field("size").asLong();
        if (size <= 0 || size > (1 << 20)) {
            throw new CorruptGuestDataException("dsq_hash bucket table size " + size);
        }
        long buckets = tbl.field("buckets").address();
        long nodeOffset = GuestObject.memberOffset(view, view.btf(), view.typeId("struct scx_dispatch_q"), "hash_node");
        Set<Long> seen = new HashSet<>();
        for (long b = 0; b < size; b++) {
            long p = view.readLong(buckets + 8 * b) & ~1L; // bit 0 is the bucket lock
            while (p != 0 && (p & 1) == 0) {
                if (!seen.add(p) || seen.size() > 65_536) {
                    throw new CorruptGuestDataException("dsq_hash chain loops or is too long at 0x" + Long.toHexString(p));
                }
                budget.nodes(1, "dsq_hash");
                out.add(dsq("user", -1, view.object(p - nodeOffset, "struct scx_dispatch_q")));
                p = view.readLong(p);
            }
        }
    }

    // ---------------------------------------------------------------- BPF maps

    /** Every BPF map in {@code map_idr}, with values for ARRAY, PERCPU_ARRAY and HASH maps. */
    public List<BpfMapState> bpfMaps(boolean withValues, List<FieldError> errors) {
        List<Long> listed = FieldError.attempt(errors, "map_idr", this::mapPointers);
        // Each map once, however often a hostile xarray lists it.
        Set<Long> maps = new java.util.LinkedHashSet<>(listed == null ? List.of() : listed);
        if (listed != null && maps.size() < listed.size()) {
            errors.add(new FieldError("map_idr", CorruptGuestDataException.class.getSimpleName(), "map_idr lists "
                    + maps.size() + " maps " + listed.size() + " times; each is read once"));
        }
        List<BpfMapState> out = new ArrayList<>();
        for (long p : maps) {
            BpfMapState m = FieldError.attempt(errors, "bpf_map@" + hex(p), () -> map(p, withValues));
            if (m != null) {
                out.add(m);
            }
        }
        return out;
    }

    /** The bpf_map pointers in map_idr's xarray, in id order. */
    List<Long> mapPointers() {
        GuestObject idr = view.global("map_idr", "struct idr");
        long head = idr.field("idr_rt.xa_head").pointerValue();
        List<Long> out = new ArrayList<>();
        Set<Long> unique = new HashSet<>();
        xaWalk(head, 0, out, unique, new HashSet<>());
        return out;
    }

    private void xaWalk(long entry, int depth, List<Long> out, Set<Long> unique, Set<Long> seen) {
        if (entry == 0) {
            return;
        }
        if ((entry & 3) == 2) {
            if (Long.compareUnsigned(entry, 4096) < 0) {
                return; // sibling / retry / zero entries, not nodes
            }
            long node = entry - 2;
            if (depth > 12 || !seen.add(node) || seen.size() > 100_000) {
                throw new CorruptGuestDataException("map_idr xarray is too deep or loops at 0x" + Long.toHexString(node));
            }
            budget.nodes(64, "map_idr"); // a node is 64 slots
            long slots = GuestObject.memberOffset(view, view.btf(), view.typeId("struct xa_node"), "slots");
            for (int i = 0; i < 64; i++) {
                xaWalk(view.readLong(node + slots + 8L * i), depth + 1, out, unique, seen);
                if (unique.size() > MAX_MAPS || out.size() > 64 * MAX_MAPS) {
                    throw new CorruptGuestDataException("map_idr holds more than " + MAX_MAPS + " maps");
                }
            }
            return;
        }
        if ((entry & 3) == 0) {
            out.add(entry);
            unique.add(entry);
        }
    }

    private BpfMapState map(long p, boolean withValues) {
        List<FieldError> errors = new ArrayList<>();
        GuestObject m = view.object(p, "struct bpf_map");
        int id = m.field("id").asInt();
        String name = m.field("name").asString();
        String type = m.field("map_type").enumName();
        int keySize = m.field("key_size").asInt();
        int valueSize = m.field("value_size").asInt();
        int maxEntries = m.field("max_entries").asInt();
        String at = "map[" + id + ":" + name + "]";
        Btf btf = FieldError.attempt(errors, at + ".btf", () -> mapBtf(m));
        int valueTypeId = btf == null ? 0 : m.field("btf_value_type_id").asInt();
        String valueType = btf == null || valueTypeId == 0 ? "" : FieldError.attempt(errors, at + ".value_type",
                () -> {
                    String n = btf.typeName(valueTypeId);
                    return n.isEmpty() ? btf.kind(valueTypeId) + " " + btf.name(valueTypeId) : n;
                });
        List<BpfMapState.Entry> entries = new ArrayList<>();
        if (withValues) {
            FieldError.attempt(errors, at + ".values", () -> {
                switch (type) {
                    case "BPF_MAP_TYPE_ARRAY" -> arrayValues(m, false, valueSize, maxEntries, btf, valueTypeId, entries);
                    case "BPF_MAP_TYPE_PERCPU_ARRAY" -> arrayValues(m, true, valueSize, maxEntries, btf, valueTypeId, entries);
                    case "BPF_MAP_TYPE_HASH", "BPF_MAP_TYPE_LRU_HASH" ->
                            hashValues(m, keySize, valueSize, btf, valueTypeId, entries);
                    default -> { }
                }
                return null;
            });
        }
        return new BpfMapState(id, name, type, keySize, valueSize, maxEntries, valueType == null ? "" : valueType,
                entries, errors);
    }

    /** The map's BTF, parsed from its {@code struct btf} in guest memory (cached per btf object and id). */
    private Btf mapBtf(GuestObject map) {
        GuestObject ptr = map.field("btf");
        if (ptr.isNull()) {
            return null;
        }
        GuestObject b = ptr.deref();
        long size = b.field("data_size").asLong();
        String key = hex(b.address()) + "/" + b.field("id").asLong() + "/" + size;
        synchronized (this) {
            CachedBtf cached = mapBtfs.get(key);
            if (cached != null) {
                return cached.btf();
            }
        }
        if (size <= 0 || size > MAX_BTF_BYTES) {
            throw new CorruptGuestDataException("map BTF data_size " + size);
        }
        budget.bytes(size, "map BTF");
        byte[] raw = view.readBytes(b.field("data").pointerValue(), (int) size);
        Btf parsed = b.field("base_btf").isNull() ? Btf.fromBytes(raw) : Btf.fromBytes(raw, view.btf());
        cacheBtf(key, parsed, size);
        return parsed;
    }

    /** Keeps {@code btf} unless it alone exceeds the cache; evicts the least recently used until it fits. */
    private synchronized void cacheBtf(String key, Btf btf, long bytes) {
        if (bytes > limits.btfCacheBytes()) {
            return;
        }
        var it = mapBtfs.entrySet().iterator();
        while (mapBtfBytes + bytes > limits.btfCacheBytes() && it.hasNext()) {
            mapBtfBytes -= it.next().getValue().bytes();
            it.remove();
        }
        CachedBtf old = mapBtfs.put(key, new CachedBtf(btf, bytes));
        mapBtfBytes += bytes - (old == null ? 0 : old.bytes());
    }

    private void arrayValues(GuestObject m, boolean perCpu, int valueSize, int maxEntries, Btf btf, int valueTypeId,
            List<BpfMapState.Entry> out) {
        checkSize(valueSize, maxEntries, perCpu);
        GuestObject arr = m.containerOf("struct bpf_array", "map");
        long elemSize = arr.field("elem_size").asLong();
        if (elemSize < valueSize || elemSize > MAX_MAP_BYTES) {
            throw new CorruptGuestDataException("bpf_array elem_size " + elemSize + " for value_size " + valueSize);
        }
        List<Integer> cpus = perCpu ? view.onlineCpus() : List.of(); // capped at the VM's vCPUs
        for (int i = 0; i < maxEntries; i++) {
            budget.bytes(4 + (long) valueSize * Math.max(1, cpus.size()), "map values");
            byte[] key = new byte[] {(byte) i, (byte) (i >>> 8), (byte) (i >>> 16), (byte) (i >>> 24)};
            List<byte[]> values = new ArrayList<>();
            if (perCpu) {
                long pptr = arr.field("pptrs").index(i).pointerValue();
                for (int cpu : cpus) {
                    values.add(view.readBytes(view.perCpuAddress(pptr, cpu), valueSize));
                }
            } else {
                values.add(view.readBytes(arr.field("value").address() + elemSize * i, valueSize));
            }
            out.add(new BpfMapState.Entry(key, values, charged(json(btf, valueTypeId, values))));
        }
    }

    /** Hash-map elements: {@code buckets[n_buckets]} of hlist_nulls chains of {@code struct htab_elem}. */
    private void hashValues(GuestObject m, int keySize, int valueSize, Btf btf, int valueTypeId,
            List<BpfMapState.Entry> out) {
        GuestObject htab = m.containerOf("struct bpf_htab", "map");
        long nBuckets = htab.field("n_buckets").asLong();
        if (nBuckets <= 0 || nBuckets > (1 << 20)) {
            throw new CorruptGuestDataException("bpf_htab n_buckets " + nBuckets);
        }
        if (keySize <= 0 || keySize > 512 || valueSize < 0 || valueSize > MAX_MAP_BYTES) {
            throw new CorruptGuestDataException("hash map key/value size " + keySize + "/" + valueSize);
        }
        long buckets = htab.field("buckets").pointerValue();
        long bucketSize = view.btf().sizeOf(view.typeId("struct bucket"));
        long keyOffset = GuestObject.memberOffset(view, view.btf(), view.typeId("struct htab_elem"), "key");
        long valueOffset = keyOffset + ((keySize + 7) & ~7L);
        Set<Long> seen = new HashSet<>();
        for (long b = 0; b < nBuckets && out.size() < MAX_MAP_ENTRIES; b++) {
            long node = view.readLong(buckets + bucketSize * b);
            while ((node & 1) == 0 && node != 0) {
                if (!seen.add(node) || seen.size() > MAX_MAP_ENTRIES) {
                    return; // loops, or more entries than we report
                }
                budget.nodes(1, "hash map chain");
                budget.bytes((long) keySize + valueSize, "map values");
                byte[] key = view.readBytes(node + keyOffset, keySize);
                List<byte[]> values = List.of(view.readBytes(node + valueOffset, valueSize));
                out.add(new BpfMapState.Entry(key, values, charged(json(btf, valueTypeId, values))));
                node = view.readLong(node);
            }
        }
    }

    private static void checkSize(int valueSize, int maxEntries, boolean perCpu) {
        if (valueSize < 0 || maxEntries < 0 || maxEntries > MAX_MAP_ENTRIES
                || (long) valueSize * maxEntries > MAX_MAP_BYTES) {
            throw new IntrospectionException("map too large to read in a snapshot (" + maxEntries + " x " + valueSize
                    + " bytes" + (perCpu ? " per CPU" : "") + "; limit " + MAX_MAP_ENTRIES + " entries, "
                    + MAX_MAP_BYTES + " bytes)");
        }
    }

    /** Charges rendered JSON (two bytes a char) to the snapshot; over budget, the values stay raw only. */
    private List<String> charged(List<String> json) {
        if (json == null) {
            return null;
        }
        long chars = 0;
        for (String j : json) {
            chars += j.length();
        }
        budget.bytes(2 * chars, "map values as JSON");
        return json;
    }

    private static final com.fasterxml.jackson.core.JsonFactory JSON = new com.fasterxml.jackson.core.JsonFactory();

    /** Values rendered through the map's BTF; a DATASEC (.data, .bss maps) becomes an object of its variables. */
    private static List<String> json(Btf btf, int typeId, List<byte[]> values) {
        if (btf == null || typeId == 0) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (byte[] v : values) {
            java.io.StringWriter w = new java.io.StringWriter();
            try (com.fasterxml.jackson.core.JsonGenerator g = JSON.createGenerator(w)) {
                writeValue(btf, typeId, java.lang.foreign.MemorySegment.ofArray(v), g);
            } catch (java.io.IOException | RuntimeException e) {
                return null;
            }
            out.add(w.toString());
        }
        return out;
    }

    private static void writeValue(Btf btf, int typeId, java.lang.foreign.MemorySegment data,
            com.fasterxml.jackson.core.JsonGenerator g) throws java.io.IOException {
        if (btf.type(btf.resolve(typeId)) instanceof BtfType.Datasec sec) {
            g.writeStartObject();
            for (BtfType.VarSecInfo vs : sec.vars()) {
                if (btf.type(vs.type()) instanceof BtfType.Var var && vs.offset() + vs.size() <= data.byteSize()) {
                    g.writeFieldName(var.name());
                    btf.renderer().withMaxValues(4096).renderJson(var.type(), data.asSlice(vs.offset(), vs.size()), g);
                }
            }
            g.writeEndObject();
        } else {
            btf.renderer().withMaxValues(4096).renderJson(typeId, data, g);
        }
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
