package dev.jktstr.btf;

import static dev.jktstr.bindings.bpf.BpfH.BPF_MAP_TYPE_ARRAY;
import static dev.jktstr.bindings.bpf.BpfH.BPF_MAP_TYPE_PERCPU_ARRAY;
import static dev.jktstr.bindings.bpf.BpfH.BPF_OBJ_NAME_LEN;

/**
 * One BPF map a BPF object declares ({@link BpfObjectMaps}), as libbpf will create it. Type ids are into the
 * object's BTF; what the object leaves to the loader is -1 or 0.
 *
 * @param name       the variable's name for a {@code .maps} or struct_ops map, the ELF section's name
 *                   ({@code .bss}, {@code .data.uei_dump}) for a global-variable map
 * @param kind       where the object declares it
 * @param mapType    the {@code BPF_MAP_TYPE_*} number, -1 when not declared
 * @param maxEntries the declared {@code max_entries}, -1 when not declared (the loader sets it)
 * @param keyType    the key's type id, 0 when not declared
 * @param valueType  the value's type id (the section's DATASEC for a global-variable map), 0 when not declared
 * @param valueSize  the declared {@code value_size}, -1 when not declared: a map with a size and no type has values
 *                   the kernel cannot name the parts of
 */
public record BpfObjectMap(String name, Kind kind, int mapType, long maxEntries, int keyType, int valueType,
        long valueSize) {
    /** The longest map name the kernel keeps ({@code BPF_OBJ_NAME_LEN} less the NUL). */
    public static final int MAX_NAME = BPF_OBJ_NAME_LEN - 1;

    public enum Kind {
        /** A variable of the {@code .maps} section: {@code struct { __uint(type, …); … } name SEC(".maps")}. */
        DEFINED,
        /** A global-variable section ({@code .bss}, {@code .data*}, {@code .rodata*}, {@code .kconfig}): one entry. */
        GLOBAL_DATA,
        /** A variable of a {@code .struct_ops*} section: the scheduler's ops. */
        STRUCT_OPS
    }

    /** An ARRAY or PERCPU_ARRAY: its keys are 0 to {@code maxEntries - 1}. */
    public boolean isArray() {
        return mapType == BPF_MAP_TYPE_ARRAY || mapType == BPF_MAP_TYPE_PERCPU_ARRAY;
    }

    /**
     * The name the kernel gets when the object is named {@code objectName}: libbpf's internal_map_name() for a
     * global-variable map (up to 8 characters of the object's name before the section's: {@code scx_qmap.bss}; none
     * before a {@code .data.NAME} section's), the variable's name otherwise; at most {@link #MAX_NAME} characters.
     */
    public String kernelName(String objectName) {
        if (kind != Kind.GLOBAL_DATA) {
            return truncate(name);
        }
        int prefix = name.indexOf('.', 1) >= 0 ? 0 : Math.min(maxPrefix(), objectName.length());
        return sanitize(truncate(objectName.substring(0, prefix) + name));
    }

    /**
     * Whether the kernel may know this map as {@code kernelName}, whatever the object's name (a skeleton's name is
     * not recorded in the object): the variable's name, or for a global-variable map the section's name after up to
     * 8 characters of some object name, cut at {@link #MAX_NAME} characters.
     */
    public boolean mayBeNamed(String kernelName) {
        if (kind != Kind.GLOBAL_DATA) {
            return kernelName.equals(truncate(name));
        }
        String section = sanitize(name);
        for (int prefix = 0; prefix <= Math.min(maxPrefix(), kernelName.length()); prefix++) {
            String rest = kernelName.substring(prefix);
            if (!rest.isEmpty() && rest.equals(section.substring(0, Math.min(section.length(), MAX_NAME - prefix)))) {
                return true;
            }
        }
        return false;
    }

    /** libbpf keeps at least 7 characters for the section's name ({@code .bss} still leaves only 8 for the prefix). */
    private int maxPrefix() {
        return Math.max(0, MAX_NAME - Math.max(7, name.length()));
    }

    private static String truncate(String s) {
        return s.length() <= MAX_NAME ? s : s.substring(0, MAX_NAME);
    }

    /** As libbpf: characters the kernel refuses in a map name become '_'. */
    private static String sanitize(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            b.append(c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '.') ? c : '_');
        }
        return b.toString();
    }
}
