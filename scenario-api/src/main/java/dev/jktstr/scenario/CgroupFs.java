package dev.jktstr.scenario;

import dev.jktstr.machine.GuestText;
import java.util.Optional;

/**
 * The guest's cgroupfs, as the ops change it. Every script is a constant: cgroup paths and the values written reach
 * the guest's shell as positional parameters ({@code "$1"}), never spliced into the script, so a name or value cannot
 * become shell syntax; values are written with {@code printf '%s\n'} ({@code echo} would take a leading {@code -n}
 * as an option). Paths are checked to be cgroups below {@link #ROOT} even if validation was bypassed.
 */
final class CgroupFs {
    /** The cgroup v2 root in the guest. */
    static final String ROOT = "/sys/fs/cgroup";
    // The scripts are package-private for CgroupFsTest, which runs them in the host's /bin/sh.
    /** {@code $1} the cgroup's path, {@code $2} one of its files, {@code $3} the value. */
    static final String WRITE = "printf '%s\\n' \"$3\" > \"$1/$2\"";
    // The kernel refuses to empty cpuset.cpus while tasks are in the cgroup (ENOSPC): clearing gives it every CPU
    // its parent has instead, which is what an empty one would mean now.
    static final String INHERIT_CPUS = "cat \"$(dirname \"$1\")\"/cpuset.cpus.effective > \"$1\"/cpuset.cpus";
    // Killed workers may take a moment to leave; rmdir fails with EBUSY until they have.
    static final String RMDIR = "for i in 1 2 3 4 5 6 7 8 9 10; do rmdir \"$1\" 2>/dev/null && exit 0; sleep 0.2; done;"
            + " rmdir \"$1\"";

    /**
     * Sets a controller knob and reads it back. {@code $1} the cgroup's path, {@code $2} its file, {@code $3} the value,
     * {@code $4} the controller, {@code $5} the cgroup root ({@link #ROOT}; a test passes its own): first enabled in each ancestor's subtree_control from the root down (where the kernel
     * offers it), then the value written; prints {@code ok}, {@code refused ERROR} or {@code missing CONTROLLERS} on
     * the first line and the file's content (at most 4 KiB) after it.
     */
    static final String KNOB = "d=\"$5\"; rest=${1#\"$5\"/}; while :; do"
            + " grep -qw \"$4\" \"$d/cgroup.controllers\" || break;"
            + " grep -qw \"$4\" \"$d/cgroup.subtree_control\" || printf '+%s\\n' \"$4\" > \"$d/cgroup.subtree_control\" 2>/dev/null;"
            + " case \"$rest\" in */*) d=\"$d/${rest%%/*}\"; rest=${rest#*/};; *) break;; esac; done;"
            + " if [ ! -e \"$1/$2\" ]; then echo missing $(cat \"$(dirname \"$1\")/cgroup.controllers\"); exit 0; fi;"
            + " if err=$( { printf '%s\\n' \"$3\" > \"$1/$2\"; } 2>&1 ); then echo ok; else echo \"refused ${err##*: }\"; fi;"
            + " head -c 4096 \"$1/$2\"";

    private final GuestShell shell;

    CgroupFs(GuestShell shell) {
        this.shell = shell;
    }

    /** The directory of cgroup {@code name} ({@code "outer/inner"} nests); a name validation would refuse is refused. */
    static String path(String name) {
        if (name == null || !CgroupDef.usableName(name)) {
            throw new ScenarioException("not a usable cgroup name: '" + name + "'");
        }
        return ROOT + "/" + name;
    }

    void create(String path) {
        shell.sh("mkdir \"$1\"", path);
    }

    void remove(String path) {
        shell.sh(RMDIR, path);
    }

    /** Gives the children of {@code path} (a parent, or {@link #ROOT}) the cpuset and cpu controllers. */
    void enableChildControllers(String path) {
        write(path, "cgroup.subtree_control", "+cpuset +cpu");
    }

    /** {@code cpus} in {@link CpusetSpec#format} form ({@code 0-1,3}). */
    void setCpus(String path, String cpus) {
        write(path, "cpuset.cpus", cpus);
    }

    /** What clearing a cpuset means on a populated cgroup: the parent's effective CPUs. */
    void inheritCpus(String path) {
        shell.sh(INHERIT_CPUS, path);
    }

    /** {@code nodes} as the kernel takes them ({@code 0-1}). */
    void setMems(String path, String nodes) {
        write(path, "cpuset.mems", nodes);
    }

    void freeze(String path, boolean frozen) {
        write(path, "cgroup.freeze", frozen ? "1" : "0");
    }

    /** Moves one process into the cgroup. */
    void moveProcess(String path, int pid) {
        write(path, "cgroup.procs", String.valueOf(pid));
    }

    /** Writes {@code knob} into cgroup {@code name} at {@code path} and reads it back (the caller judges the readback). */
    KnobReadback applyKnob(String name, String path, CgroupKnob knob) {
        return readback(name, knob, shell.sh(KNOB, path, knob.file(), knob.value(), knob.controller(), ROOT));
    }

    /** Parses {@link #KNOB}'s output; package-private for CgroupFsTest. */
    static KnobReadback readback(String name, CgroupKnob knob, String out) {
        int nl = out.indexOf('\n');
        String first = nl < 0 ? out : out.substring(0, nl);
        String held = GuestText.line(nl < 0 ? "" : out.substring(nl + 1).strip(), 200);
        if (first.startsWith("missing")) {
            return new KnobReadback(name, knob, KnobReadback.Status.MISSING, "",
                    Optional.of(GuestText.line(first.substring("missing".length()).strip(), 200)));
        }
        if (first.startsWith("refused")) {
            return new KnobReadback(name, knob, KnobReadback.Status.REFUSED, held,
                    Optional.of(GuestText.line(first.substring("refused".length()).strip(), 200)));
        }
        return new KnobReadback(name, knob, knob.holdsAsWritten(held) ? KnobReadback.Status.AS_WRITTEN
                : KnobReadback.Status.ROUNDED, held, Optional.empty());
    }

    /** {@code file} is one of the constants above, never a caller's string. */
    private void write(String path, String file, String value) {
        shell.sh(WRITE, path, file, value);
    }
}
