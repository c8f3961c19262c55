package dev.jktstr.machine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** Finds the machine backends on the class path. */
public final class MachineBackends {

    private MachineBackends() {
    }

    /** All registered backends, fastest first. */
    public static List<MachineBackend> all() {
        List<MachineBackend> list = new ArrayList<>();
        ServiceLoader.load(MachineBackend.class, MachineBackends.class.getClassLoader()).forEach(list::add);
        list.sort(Comparator.comparingInt(MachineBackend::speedRank));
        return List.copyOf(list);
    }

    /** A backend by name, optionally with a variant: {@code qemu}, {@code qemu:tcg}. */
    public static MachineBackend byName(String name) {
        String base = name;
        String variant = null;
        int colon = name.indexOf(':');
        if (colon >= 0) {
            base = name.substring(0, colon);
            variant = name.substring(colon + 1);
        }
        List<MachineBackend> all = all();
        for (MachineBackend b : all) {
            if (b.name().equals(base)) {
                return variant == null ? b : b.variant(variant);
            }
        }
        throw new BackendUnavailableException("no machine backend named '" + name + "'; available: "
                + all.stream().map(MachineBackend::name).toList());
    }

    /** The fastest backend that can boot the spec here; the exception lists why each one cannot. */
    public static MachineBackend fastestFor(MachineSpec spec) {
        return fastestFor(spec, all());
    }

    /** The fastest of {@code backends} that can boot the spec here (a given set, e.g. backends over a faked host). */
    public static MachineBackend fastestFor(MachineSpec spec, List<MachineBackend> backends) {
        List<MachineBackend> all = new ArrayList<>(backends);
        all.sort(Comparator.comparingInt(MachineBackend::speedRank));
        StringBuilder why = new StringBuilder();
        for (MachineBackend b : all) {
            MachineBackend.Support s = b.canBoot(spec);
            if (s.ok()) {
                return b;
            }
            why.append("; ").append(b.name()).append(": ").append(s.reason());
        }
        throw new BackendUnavailableException(all.isEmpty()
                ? "no machine backend on the class path (add jktstr-qemu)"
                : "no machine backend can boot this here" + why);
    }
}
