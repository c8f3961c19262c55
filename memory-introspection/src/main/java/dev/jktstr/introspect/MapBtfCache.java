package dev.jktstr.introspect;

import dev.jktstr.btf.Btf;
import java.util.LinkedHashMap;

/**
 * BPF map BTF parsed from guest memory ({@code map->btf->data}), kept across snapshots: keyed by the
 * {@code struct btf} address, id and size, least recently used evicted first, bounded by raw bytes
 * ({@link IntrospectionLimits#btfCacheBytes()}) so guest-chosen ids cannot grow it. Thread-safe.
 */
final class MapBtfCache {
    private static final int MAX_BTF_BYTES = 16 << 20;

    private record CachedBtf(Btf btf, long bytes) {}

    private final KernelView view;
    private final SnapshotBudget budget;
    private final long capacity;
    private final LinkedHashMap<String, CachedBtf> cache = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    /** A cache of at most {@code capacity} raw bytes; a miss charges the BTF's bytes to {@code budget}. */
    MapBtfCache(KernelView view, SnapshotBudget budget, long capacity) {
        this.view = view;
        this.budget = budget;
        this.capacity = capacity;
    }

    /** Raw bytes of map BTF held now. */
    synchronized long bytes() {
        return bytes;
    }

    /** The BTF of {@code map} (a {@code struct bpf_map}), or null when it has none. */
    Btf of(GuestObject map) {
        GuestObject ptr = map.field("btf");
        if (ptr.isNull()) {
            return null;
        }
        GuestObject b = ptr.deref();
        long size = b.field("data_size").asLong();
        String key = KernelView.hex(b.address()) + "/" + b.field("id").asLong() + "/" + size;
        synchronized (this) {
            CachedBtf cached = cache.get(key);
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
        put(key, parsed, size);
        return parsed;
    }

    /** Keeps {@code btf} unless it alone exceeds the cache; evicts the least recently used until it fits. */
    private synchronized void put(String key, Btf btf, long size) {
        if (size > capacity) {
            return;
        }
        var it = cache.entrySet().iterator();
        while (bytes + size > capacity && it.hasNext()) {
            bytes -= it.next().getValue().bytes();
            it.remove();
        }
        CachedBtf old = cache.put(key, new CachedBtf(btf, size));
        bytes += size - (old == null ? 0 : old.bytes());
    }
}
