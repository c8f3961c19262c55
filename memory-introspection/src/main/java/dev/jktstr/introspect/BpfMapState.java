package dev.jktstr.introspect;

import java.util.List;

/**
 * One BPF map found through {@code map_idr}, with its values for ARRAY, PERCPU_ARRAY, HASH and LRU_HASH maps
 * (others, and maps over the size limit, list no entries).
 *
 * @param type the {@code bpf_map_type} enumerator name, e.g. BPF_MAP_TYPE_PERCPU_ARRAY
 * @param valueType the value's type name from the map's BTF, or empty without BTF
 */
public record BpfMapState(int id, String name, String type, int keySize, int valueSize, int maxEntries, String valueType,
                          List<Entry> entries, List<FieldError> errors) {
    public BpfMapState {
        entries = List.copyOf(entries);
        errors = List.copyOf(errors);
    }

    /**
     * One key and its value: one element in {@code values} for shared maps, one per possible CPU for
     * per-CPU maps. {@code valueJson} holds the same values rendered through the map's BTF (null without BTF).
     */
    public record Entry(byte[] key, List<byte[]> values, List<String> valueJson) {
        public Entry {
            values = List.copyOf(values);
            valueJson = valueJson == null ? null : List.copyOf(valueJson);
        }

        /** The value summed over CPUs, read as little-endian u64 words: word {@code i} of each value. */
        public long sumU64(int word) {
            long sum = 0;
            for (byte[] v : values) {
                if (v.length >= (word + 1) * 8) {
                    sum += java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(word * 8);
                }
            }
            return sum;
        }

        /** The key as a little-endian u32 (array index). */
        public long keyU32() {
            return key.length >= 4 ? Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(key)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt()) : -1;
        }
    }
}
