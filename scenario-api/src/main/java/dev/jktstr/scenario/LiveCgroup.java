package dev.jktstr.scenario;

import dev.jktstr.guest.WorkerGroup;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/** A cgroup of a run while it exists in the guest: its definition, running worker groups and every cpuset it had. */
final class LiveCgroup {
    final CgroupDef def;
    /** Its directory in the guest's cgroupfs. */
    final String path;
    /** Running worker groups (the add's, then spawns'); emptied when they are stopped. */
    final List<WorkerGroup> groups = new ArrayList<>();
    /** Some work type of it blocks by design (gap, fairness and CV checks leave it alone). */
    boolean blocking;
    final LinkedHashSet<String> workTypes = new LinkedHashSet<>();
    /** The cpuset now; empty = unrestricted. */
    Optional<BitSet> cpuset = Optional.empty();
    /** Union of every cpuset it had: a worker may be seen on any of them. */
    final BitSet allowedEver = new BitSet();
    boolean everUnrestricted = true;
    /** Union of affinities; empty = it ran unpinned at some point. */
    Optional<BitSet> affinityEver = Optional.empty();
    /** Its subtree_control has +cpuset +cpu (it is a parent). */
    boolean controllersEnabled;

    LiveCgroup(CgroupDef def) {
        this.def = def;
        this.path = CgroupFs.path(def.name());
    }

    List<Integer> pids() {
        return groups.stream().flatMap(g -> g.pids().stream()).toList();
    }
}
