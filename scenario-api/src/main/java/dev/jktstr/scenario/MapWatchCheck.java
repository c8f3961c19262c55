package dev.jktstr.scenario;

import dev.jktstr.btf.BpfObjectMap;
import dev.jktstr.btf.BpfObjectMaps;
import dev.jktstr.btf.Btf;
import dev.jktstr.btf.BtfKind;
import dev.jktstr.btf.BtfType;
import dev.jktstr.btf.elf.EmbeddedBpfObjects;
import dev.jktstr.btf.elf.Elf;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Checks {@link MapWatch}es against the BPF objects of the schedulers a run may have — the VM's and every one its
 * steps replace it with — before anything boots or runs: a watch of a map, key or field that none of them declares is
 * refused ({@link InvalidScenarioException}) with the nearest names they do. The maps come from the BPF object each
 * binary embeds ({@link EmbeddedBpfObjects}, {@link BpfObjectMaps}); a value is followed as the guest renders it for
 * {@link MapWatch#read} (a section's variables, then members with anonymous ones in place, numbers indexing arrays).
 * What the file cannot tell is accepted and left to the run, which reads every watch at every snapshot: a binary
 * without an embedded object or BTF, EEVDF, a struct_ops map's value (its type is the kernel's), a key of a hash
 * map, the length of a section's last array (a loader may resize it). The one thing taken from the object that a loader may still change is an array map's declared
 * {@code max_entries} (a scheduler that resizes a map usually declares none).
 */
public final class MapWatchCheck {
    /** Anonymous members inside anonymous members, followed at most this deep (BTF from a file may loop). */
    private static final int MAX_ANONYMOUS_NESTING = 32;

    private MapWatchCheck() {
    }

    /**
     * Refuses the first of {@code watches} that neither {@code scheduler} nor a scheduler {@code steps} switch to
     * could serve.
     *
     * @throws InvalidScenarioException "watch stat[1]: scheduler scx_simple has no BPF map 'stat'; nearest: stats, …"
     */
    public static void check(Collection<MapWatch> watches, Scheduler scheduler, List<Step> steps) {
        Set<Scheduler.Binary> binaries = new LinkedHashSet<>();
        if (scheduler instanceof Scheduler.Binary b) {
            binaries.add(b);
        }
        binaries.addAll(Step.replacementSchedulers(steps));
        if (watches.isEmpty() || binaries.isEmpty()) {
            return; // nothing to check against: the run says what it finds
        }
        try (Arena arena = Arena.ofConfined()) {
            List<SchedulerMaps> all = new ArrayList<>();
            for (Scheduler.Binary b : binaries) {
                Optional<SchedulerMaps> maps = SchedulerMaps.of(b, arena);
                if (maps.isEmpty()) {
                    return; // a scheduler whose maps are unknown may serve any watch
                }
                all.add(maps.get());
            }
            for (MapWatch w : watches) {
                List<String> problems = new ArrayList<>();
                for (SchedulerMaps maps : all) {
                    Optional<String> p = maps.problem(w);
                    if (p.isEmpty()) {
                        break;
                    }
                    problems.add(p.get());
                }
                if (problems.size() == all.size()) {
                    throw new InvalidScenarioException("watch " + w.name(), String.join("; and ", problems));
                }
            }
        }
    }

    /** The maps of one scheduler binary's embedded BPF objects. */
    private record SchedulerMaps(String scheduler, List<BpfObjectMaps> objects) {

        /** The binary's maps, or empty when they cannot be known (unreadable, no object, no BTF, malformed). */
        static Optional<SchedulerMaps> of(Scheduler.Binary b, Arena arena) {
            try (FileChannel ch = FileChannel.open(b.path(), StandardOpenOption.READ)) {
                MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                List<BpfObjectMaps> objects = new ArrayList<>();
                for (MemorySegment object : EmbeddedBpfObjects.in(file)) {
                    Optional<BpfObjectMaps> maps = BpfObjectMaps.of(Elf.of(object));
                    if (maps.isEmpty()) {
                        return Optional.empty();
                    }
                    objects.add(maps.get());
                }
                return objects.isEmpty() ? Optional.empty() : Optional.of(new SchedulerMaps(b.name(), objects));
            } catch (IOException | RuntimeException e) {
                return Optional.empty(); // when in doubt, the run decides
            }
        }

        /** Why this scheduler cannot serve {@code w}, or empty when it may. */
        Optional<String> problem(MapWatch w) {
            List<String> problems = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (BpfObjectMaps object : objects) {
                for (BpfObjectMap m : object.maps()) {
                    // the object's name is not recorded: the binary's is the usual one (bpftool gen skeleton name)
                    names.add(m.kernelName(scheduler));
                    if (m.mayBeNamed(w.map())) {
                        Optional<String> p;
                        try {
                            p = problem(w, m, object.btf());
                        } catch (RuntimeException e) {
                            p = Optional.empty(); // BTF we cannot follow: the run decides
                        }
                        if (p.isEmpty()) {
                            return p;
                        }
                        problems.add(p.get());
                    }
                }
            }
            if (!problems.isEmpty()) {
                return Optional.of(problems.getFirst());
            }
            return Optional.of("scheduler " + scheduler + " has no BPF map '" + w.map() + "'"
                    + MapWatch.nearest(w.map(), names));
        }

        private Optional<String> problem(MapWatch w, BpfObjectMap m, Btf btf) {
            if (m.isArray() && m.maxEntries() >= 0 && w.key() >= m.maxEntries()) {
                return Optional.of("map " + w.map() + " of scheduler " + scheduler + " has " + m.maxEntries()
                        + (m.maxEntries() == 1 ? " entry: key 0" : " entries: keys 0.." + (m.maxEntries() - 1))
                        + ", not " + w.key());
            }
            if (w.field().isEmpty()) {
                return Optional.empty();
            }
            if (m.valueType() == 0) {
                // __uint(value_size, N) alone: the kernel has no type for the value, so no field of it can be read
                return m.valueSize() < 0 ? Optional.empty() : Optional.of("map " + w.map() + " of scheduler "
                        + scheduler + " declares its value by size only (" + m.valueSize() + " bytes, no BTF type):"
                        + " watch " + w.map() + "[" + w.key() + "] alone");
            }
            return new ValuePath(btf, w).problem(m.valueType());
        }
    }

    /** A watch's field path followed through a map's value type. */
    private record ValuePath(Btf btf, MapWatch w) {

        Optional<String> problem(int valueType) {
            int type = valueType;
            boolean resizable = false; // the last variable of a section may be an array the loader resizes
            List<String> path = w.field();
            for (int i = 0; i < path.size(); i++) {
                String seg = path.get(i);
                String where = where(path.subList(0, i));
                BtfType t = btf.type(btf.resolve(type));
                switch (t) {
                    case BtfType.Datasec sec -> {
                        List<BtfType.VarSecInfo> vars = sec.vars();
                        List<String> names = new ArrayList<>();
                        BtfType.Var found = null;
                        for (int v = 0; v < vars.size() && found == null; v++) {
                            if (btf.type(vars.get(v).type()) instanceof BtfType.Var var) {
                                names.add(var.name());
                                if (var.name().equals(seg)) {
                                    found = var;
                                    resizable = v == vars.size() - 1;
                                }
                            }
                        }
                        if (found == null) {
                            return noField(seg, where, names);
                        }
                        type = found.type();
                        continue;
                    }
                    case BtfType.Composite c -> {
                        List<BtfType.Member> members = new ArrayList<>();
                        flatten(c, members, 0);
                        BtfType.Member m = members.stream().filter(x -> x.name().equals(seg)).findFirst().orElse(null);
                        if (m == null) {
                            return noField(seg, where, members.stream().map(BtfType.Member::name).toList());
                        }
                        type = m.type();
                    }
                    case BtfType.Array a when !btf.isCharArray(a.id()) -> {
                        if (!seg.chars().allMatch(Character::isDigit)) {
                            return Optional.of(where + " is an array: index it with a number" + range(a));
                        }
                        if (a.length() > 0 && !resizable && Long.parseLong(seg) >= a.length()) {
                            return Optional.of("no index " + seg + " in " + where + range(a));
                        }
                        type = a.elementType();
                    }
                    default -> {
                        return Optional.of(where + " is " + what(t) + ": the path ends there");
                    }
                }
                resizable = false;
            }
            BtfType leaf = btf.type(btf.resolve(type));
            String where = where(path);
            return switch (leaf) {
                case BtfType.Composite c -> {
                    List<BtfType.Member> members = new ArrayList<>();
                    flatten(c, members, 0);
                    yield Optional.of(where + " is " + what(c) + ", not a number: name one of its fields ("
                            + String.join(", ", members.stream().map(BtfType.Member::name).limit(4).toList())
                            + (members.size() > 4 ? ", …" : "") + ")");
                }
                case BtfType.Array a -> Optional.of(where + " is " + what(a) + ", not a number"
                        + (btf.isCharArray(a.id()) ? "" : ": index it" + range(a)));
                case BtfType.Ref r when r.kind() == BtfKind.PTR -> Optional.of(where + " is a pointer, not a number");
                default -> Optional.empty(); // a number, a bool, an enum (by name when it has one): the run reads it
            };
        }

        /** Members as the guest's rendering names them: those of anonymous struct and union members in place. */
        private void flatten(BtfType.Composite c, List<BtfType.Member> out, int depth) {
            for (BtfType.Member m : c.members()) {
                if (m.name().isEmpty() && m.bitfieldSize() == 0 && depth < MAX_ANONYMOUS_NESTING
                        && btf.type(btf.resolve(m.type())) instanceof BtfType.Composite inner) {
                    flatten(inner, out, depth + 1);
                } else if (!m.name().isEmpty()) {
                    out.add(m);
                }
            }
        }

        private Optional<String> noField(String seg, String where, List<String> names) {
            return Optional.of("no field '" + seg + "' in " + where + MapWatch.nearest(seg, names));
        }

        /** "the value of map M", or "'a.b' in the value of map M". */
        private String where(List<String> path) {
            String value = "the value of map " + w.map();
            return path.isEmpty() ? value : "'" + String.join(".", path) + "' in " + value;
        }

        private String range(BtfType.Array a) {
            return a.length() == 0 ? "" : " (0.." + (a.length() - 1) + ")";
        }

        private String what(BtfType t) {
            return switch (t) {
                case BtfType.Composite c -> (c.kind() == BtfKind.UNION ? "a union" : "a struct");
                case BtfType.Array a -> btf.isCharArray(a.id()) ? "a string (char[" + a.length() + "])" : "an array";
                case BtfType.Ref r when r.kind() == BtfKind.PTR -> "a pointer";
                case BtfType.Int i -> "a number";
                default -> {
                    String kind = t.kind().name().toLowerCase(Locale.ROOT);
                    yield ("aeiou".indexOf(kind.charAt(0)) >= 0 ? "an " : "a ") + kind;
                }
            };
        }
    }
}
