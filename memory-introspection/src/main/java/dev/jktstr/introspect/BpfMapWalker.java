package dev.jktstr.introspect;

import dev.jktstr.btf.Btf;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * BPF maps, from {@code map_idr}: each map's header, its BTF value type, and with values the entries of ARRAY,
 * PERCPU_ARRAY, HASH and LRU_HASH maps, raw and rendered through the map's BTF. Reads are charged to the
 * snapshot's budget and bounded by entry and byte limits.
 */
final class BpfMapWalker {
    static final int MAX_MAPS = 4096;
    static final int MAX_MAP_ENTRIES = 1024;
    static final long MAX_MAP_BYTES = 1 << 20;

    private final KernelView view;
    private final SnapshotBudget budget;
    private final MapBtfCache btfs;

    BpfMapWalker(KernelView view, SnapshotBudget budget, MapBtfCache btfs) {
        this.view = view;
        this.budget = budget;
        this.btfs = btfs;
    }

    /** Every BPF map in {@code map_idr}, with values for ARRAY, PERCPU_ARRAY and HASH maps. */
    List<BpfMapState> maps(boolean withValues, List<FieldError> errors) {
        List<Long> listed = FieldError.attempt(errors, "map_idr",
                () -> Idr.pointers(view, budget, "map_idr", MAX_MAPS, "maps"));
        // Each map once, however often a hostile xarray lists it.
        Set<Long> maps = new LinkedHashSet<>(listed == null ? List.of() : listed);
        if (listed != null && maps.size() < listed.size()) {
            errors.add(new FieldError("map_idr", CorruptGuestDataException.class.getSimpleName(), "map_idr lists "
                    + maps.size() + " maps " + listed.size() + " times; each is read once"));
        }
        List<BpfMapState> out = new ArrayList<>();
        for (long p : maps) {
            BpfMapState m = FieldError.attempt(errors, "bpf_map@" + KernelView.hex(p), () -> map(p, withValues));
            if (m != null) {
                out.add(m);
            }
        }
        return out;
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
        Btf btf = FieldError.attempt(errors, at + ".btf", () -> btfs.of(m));
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

    private void arrayValues(GuestObject m, boolean perCpu, int valueSize, int maxEntries, Btf btf, int valueTypeId,
            List<BpfMapState.Entry> out) {
        checkSize(valueSize, maxEntries, perCpu);
        GuestObject arr = m.containerOf("struct bpf_array", "map");
        long elemSize = arr.field("elem_size").asLong();
        if (elemSize < valueSize || elemSize > MAX_MAP_BYTES) {
            throw new CorruptGuestDataException("bpf_array elem_size " + elemSize + " for value_size " + valueSize);
        }
        List<Integer> cpus = perCpu ? view.perCpu().onlineCpus() : List.of(); // capped at the VM's vCPUs
        for (int i = 0; i < maxEntries; i++) {
            budget.bytes(4 + (long) valueSize * Math.max(1, cpus.size()), "map values");
            byte[] key = new byte[] {(byte) i, (byte) (i >>> 8), (byte) (i >>> 16), (byte) (i >>> 24)};
            List<byte[]> values = new ArrayList<>();
            if (perCpu) {
                long pptr = arr.field("pptrs").index(i).pointerValue();
                for (int cpu : cpus) {
                    values.add(view.readBytes(view.perCpu().address(pptr, cpu), valueSize));
                }
            } else {
                values.add(view.readBytes(arr.field("value").address() + elemSize * i, valueSize));
            }
            out.add(new BpfMapState.Entry(key, values, charged(MapValueJson.render(btf, valueTypeId, values))));
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
        // htab_elem's hash_node is its first member, so a chain node is the element itself.
        HlistNulls chains = new HlistNulls(view, budget, "hash map chain", MAX_MAP_ENTRIES);
        for (long b = 0; b < nBuckets && out.size() < MAX_MAP_ENTRIES; b++) {
            long stopped = chains.walk(view.readLong(buckets + bucketSize * b), node -> {
                budget.bytes((long) keySize + valueSize, "map values");
                byte[] key = view.readBytes(node + keyOffset, keySize);
                List<byte[]> values = List.of(view.readBytes(node + valueOffset, valueSize));
                out.add(new BpfMapState.Entry(key, values, charged(MapValueJson.render(btf, valueTypeId, values))));
            });
            if (stopped != 0) {
                return; // loops, or more entries than we report
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
}
