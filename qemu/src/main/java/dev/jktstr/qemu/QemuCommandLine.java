package dev.jktstr.qemu;

import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The qemu-system-x86_64 argument list for a spec. Topology: one socket per LLC, because QEMU 7.2
 * puts L3 per socket, not per die ({@code sockets=1,dies=3} gives one LLC); so under QEMU the guest's
 * {@code physical_package_id} counts LLCs, not NUMA nodes. Sockets are numbered node-major, which keeps
 * QEMU's CPU index order (socket → core → thread) equal to ours (node → LLC → core → thread).
 */
final class QemuCommandLine {

    /**
     * What the backend adds in front of the caller's kernel command line. {@code no_timer_check}:
     * under TCG on a loaded host the kernel's IO-APIC timer check can miss its ticks and panic
     * ("IO-APIC + timer doesn't work"); the check proves nothing about an emulated board.
     */
    static final String BASE_APPEND = "console=ttyS0 panic=-1 no_timer_check";

    /** Files and sockets one boot uses. */
    record Paths(Path qmp, Path serial, Path control, List<Path> ports) {
    }

    private QemuCommandLine() {
    }

    static List<String> build(Path binary, QemuBackend.Accel accel, MachineSpec spec, Paths paths, String name) {
        return build(binary, accel, spec, paths, name, false);
    }

    /**
     * @param incoming whether the guest is to be loaded from a saved state ({@code -incoming defer}: QMP's
     *     {@code migrate-incoming} names the file once QMP is connected); the rest of the line must equal the saved one
     */
    static List<String> build(Path binary, QemuBackend.Accel accel, MachineSpec spec, Paths paths, String name,
            boolean incoming) {
        Topology t = spec.topology();
        List<String> a = new ArrayList<>();
        a.add(binary.toString());
        // debug-threads=on names the vCPU threads ("CPU 0/KVM", "ALL CPUs/TCG"): how vcpuHostTime finds them
        a.addAll(List.of("-name", escape(name) + ",debug-threads=on", "-machine", "q35", "-nodefaults",
                "-no-user-config", "-display", "none", "-no-reboot", "-S"));
        if (accel == QemuBackend.Accel.KVM) {
            a.addAll(List.of("-accel", "kvm", "-cpu", "host"));
        } else {
            // One TCG thread for all vCPUs: with multi-threaded TCG the kernel's live code patching
            // (text_poke_bp for static keys) can leave a vCPU running a stale int3 ("Oops: int3" in
            // sched_clock_cpu, seen here in about one boot in ten under load). On a small host it is
            // no slower: 8 vCPUs reached the agent in 6.6 s, against 10 s multi-threaded.
            a.addAll(List.of("-accel", "tcg,thread=single", "-cpu", "max"));
        }
        a.addAll(List.of("-smp", "cpus=" + t.cpuCount() + ",sockets=" + t.llcCount() + ",dies=1,cores="
                + t.coresPerLlc() + ",threads=" + t.threadsPerCore()));
        a.addAll(List.of("-m", spec.totalMemoryMib() + "M"));
        for (int node = 0; node < t.numaNodes(); node++) {
            // An anonymous memfd per node, never a path QEMU opens by name; the JVM maps it through
            // /proc/<qemu pid>/fd (QemuRamFds). share=on: the JVM's mapping and the guest see the same pages.
            a.addAll(List.of("-object", "memory-backend-memfd,id=ram-node" + node + ",size=" + spec.memoryPerNodeMib()
                    + "M,share=on"));
            a.addAll(List.of("-numa", "node,nodeid=" + node + ",cpus=" + Topology.cpuList(t.cpusOfNode(node))
                    + ",memdev=ram-node" + node));
        }
        List<List<Integer>> d = spec.effectiveDistances();
        if (t.numaNodes() > 1) {
            for (int i = 0; i < t.numaNodes(); i++) {
                for (int j = 0; j < t.numaNodes(); j++) {
                    if (i != j) {
                        a.addAll(List.of("-numa", "dist,src=" + i + ",dst=" + j + ",val=" + d.get(i).get(j)));
                    }
                }
            }
        }
        a.addAll(List.of("-kernel", spec.kernel().toString()));
        spec.initramfs().ifPresent(i -> a.addAll(List.of("-initrd", i.toString())));
        a.addAll(List.of("-append", appendLine(spec)));
        a.addAll(List.of("-chardev", "socket,id=qmp,path=" + escape(paths.qmp().toString()),
                "-mon", "chardev=qmp,mode=control"));
        a.addAll(List.of("-chardev", "socket,id=serial0,path=" + escape(paths.serial().toString()),
                "-serial", "chardev:serial0"));
        a.addAll(List.of("-device", "virtio-serial-pci,id=vser0"));
        a.addAll(List.of("-chardev", "socket,id=ctl,path=" + escape(paths.control().toString()),
                "-device", "virtserialport,bus=vser0.0,chardev=ctl,name=" + MachineSpec.CONTROL_PORT));
        for (int i = 0; i < spec.consolePorts().size(); i++) {
            String id = "port" + i;
            a.addAll(List.of("-chardev", "socket,id=" + id + ",path=" + escape(paths.ports().get(i).toString()),
                    "-device", "virtserialport,bus=vser0.0,chardev=" + id + ",name=" + spec.consolePorts().get(i)));
        }
        for (Path disk : spec.disks()) {
            a.addAll(List.of("-drive", "file=" + escape(disk.toString()) + ",format=raw,if=virtio"));
        }
        if (incoming) {
            a.addAll(List.of("-incoming", "defer"));
        }
        return a;
    }

    static String appendLine(MachineSpec spec) {
        return spec.commandLine().isEmpty() ? BASE_APPEND : BASE_APPEND + " " + spec.commandLine();
    }

    /** QEMU option values escape a comma by doubling it. */
    static String escape(String value) {
        return value.replace(",", ",,");
    }
}
