package dev.jktstr.btf;

import static dev.jktstr.bindings.bpf.BpfH.BPF_MAP_TYPE_ARRAY;
import static dev.jktstr.bindings.bpf.BpfH.BPF_MAP_TYPE_STRUCT_OPS;

import dev.jktstr.btf.elf.Elf;
import dev.jktstr.btf.elf.ElfSection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The maps a BPF object (a libbpf {@code .bpf.o}, or one embedded in a program: {@code EmbeddedBpfObjects}) declares,
 * with their key and value types, read from its BTF as libbpf reads them when it opens the object: the variables of
 * the {@code .maps} DATASEC (each a struct whose {@code __uint(type, …)}, {@code __uint(max_entries, …)} members
 * are pointers to arrays of that many elements, and {@code __type(key, …)}, {@code __type(value, …)} pointers to
 * the type), one map per global-variable section, and the struct_ops variables. Maps user space creates at run time are
 * not in the object.
 */
public final class BpfObjectMaps {
    private final Btf btf;
    private final List<BpfObjectMap> maps;

    private BpfObjectMaps(Btf btf, List<BpfObjectMap> maps) {
        this.btf = btf;
        this.maps = List.copyOf(maps);
    }

    /**
     * The maps of the BPF object {@code elf} (which must stay open while this is used), or empty when they cannot
     * all be named: no {@code .BTF}, a legacy {@code maps} section (named by symbols, not BTF), or a map section
     * without its DATASEC.
     *
     * @throws BtfException when the object's BTF is malformed
     */
    public static Optional<BpfObjectMaps> of(Elf elf) {
        if (elf.section(".BTF").isEmpty() || elf.section("maps").isPresent()) {
            return Optional.empty();
        }
        Btf btf = Btf.fromElf(elf);
        List<BpfObjectMap> maps = new ArrayList<>();
        for (ElfSection s : elf.sections()) {
            String name = s.name();
            if (name.equals(".maps") || name.startsWith(".struct_ops")) {
                Optional<BtfType.Datasec> sec = datasec(btf, name);
                if (sec.isEmpty()) {
                    return Optional.empty();
                }
                for (BtfType.VarSecInfo v : sec.get().vars()) {
                    if (btf.type(v.type()) instanceof BtfType.Var var) {
                        maps.add(name.equals(".maps") ? defined(btf, var) : new BpfObjectMap(var.name(),
                                BpfObjectMap.Kind.STRUCT_OPS, BPF_MAP_TYPE_STRUCT_OPS, 1, 0, 0, -1));
                    }
                }
            } else if (isGlobalData(name)) {
                maps.add(globalData(btf, name));
            }
        }
        // externs of CONFIG_* values live in a map of their own that has BTF but no ELF section
        if (datasec(btf, ".kconfig").isPresent()) {
            maps.add(globalData(btf, ".kconfig"));
        }
        return Optional.of(new BpfObjectMaps(btf, maps));
    }

    /** The object's BTF, where the maps' type ids point. */
    public Btf btf() {
        return btf;
    }

    public List<BpfObjectMap> maps() {
        return maps;
    }

    /** The sections libbpf turns into one-entry ARRAY maps of their variables. */
    private static boolean isGlobalData(String section) {
        for (String s : new String[] {".data", ".rodata", ".bss"}) {
            if (section.equals(s) || section.startsWith(s + ".")) {
                return true;
            }
        }
        return false;
    }

    private static BpfObjectMap globalData(Btf btf, String section) {
        int value = datasec(btf, section).map(BtfType.Datasec::id).orElse(0);
        return new BpfObjectMap(section, BpfObjectMap.Kind.GLOBAL_DATA, BPF_MAP_TYPE_ARRAY, 1, 0, value, -1);
    }

    private static Optional<BtfType.Datasec> datasec(Btf btf, String name) {
        return btf.find(name, BtfKind.DATASEC).stream().mapToObj(btf::type)
                .map(BtfType.Datasec.class::cast).findFirst();
    }

    /** A {@code .maps} variable: its definition struct's members as libbpf's parse_btf_map_def() reads them. */
    private static BpfObjectMap defined(Btf btf, BtfType.Var var) {
        int type = -1, key = 0, value = 0;
        long maxEntries = -1, valueSize = -1;
        if (btf.type(btf.resolve(var.type())) instanceof BtfType.Composite def) {
            for (BtfType.Member m : def.members()) {
                switch (m.name()) {
                    case "type" -> type = (int) arrayLengthPointedTo(btf, m.type());
                    case "max_entries" -> maxEntries = arrayLengthPointedTo(btf, m.type());
                    case "key" -> key = pointee(btf, m.type());
                    case "value" -> value = pointee(btf, m.type());
                    case "value_size" -> valueSize = arrayLengthPointedTo(btf, m.type());
                    default -> { }
                }
            }
        }
        return new BpfObjectMap(var.name(), BpfObjectMap.Kind.DEFINED, type, maxEntries, key, value, valueSize);
    }

    /** {@code __type(x, T)} is {@code T *x}: T's id, or 0 when the member is not a pointer. */
    private static int pointee(Btf btf, int member) {
        return btf.type(btf.resolve(member)) instanceof BtfType.Ref r && r.kind() == BtfKind.PTR ? r.type() : 0;
    }

    /** {@code __uint(x, N)} is {@code int (*x)[N]}: N, or -1 when the member is not so encoded. */
    private static long arrayLengthPointedTo(Btf btf, int member) {
        int target = pointee(btf, member);
        return target != 0 && btf.type(target) instanceof BtfType.Array a ? a.length() : -1;
    }
}
