package dev.jktstr.machine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What to boot: kernel image, initramfs, extra kernel command line, CPU topology, RAM per NUMA node,
 * an optional NUMA distance matrix, extra virtio console ports (the control port
 * {@value #CONTROL_PORT} always exists) and raw disk images. Backends add what they need to the
 * command line themselves (console device, panic behaviour); {@link #commandLine()} holds only the
 * caller's part.
 *
 * @param startTimeout how long the backend may take to start the VMM (not the guest's boot)
 */
public record MachineSpec(
        Path kernel,
        Optional<Path> initramfs,
        String commandLine,
        Topology topology,
        long memoryPerNodeMib,
        Optional<List<List<Integer>>> distances,
        List<String> consolePorts,
        List<Path> disks,
        Duration startTimeout) {

    /** The virtio-serial port name the guest agent opens. */
    public static final String CONTROL_PORT = "jktstr.ctl";

    public MachineSpec {
        if (kernel == null) {
            throw new InvalidSpecException("kernel", "missing");
        }
        Objects.requireNonNull(initramfs, "initramfs");
        commandLine = commandLine == null ? "" : commandLine.strip();
        if (topology == null) {
            throw new InvalidSpecException("topology", "missing");
        }
        if (memoryPerNodeMib < 16) {
            throw new InvalidSpecException("memoryPerNodeMib", "must be at least 16 MiB, got " + memoryPerNodeMib);
        }
        if (memoryPerNodeMib * topology.numaNodes() > 1L << 20) {
            throw new InvalidSpecException("memoryPerNodeMib", "total RAM above 1 TiB");
        }
        distances = Objects.requireNonNull(distances, "distances").map(d -> validateDistances(d, topology.numaNodes()));
        consolePorts = List.copyOf(consolePorts);
        for (String port : consolePorts) {
            if (!port.matches("[A-Za-z0-9._-]{1,64}") || port.equals(CONTROL_PORT)) {
                throw new InvalidSpecException("consolePorts", "bad or reserved port name '" + port + "'");
            }
        }
        disks = List.copyOf(disks);
        if (startTimeout == null || startTimeout.isNegative() || startTimeout.isZero()) {
            throw new InvalidSpecException("startTimeout", "must be positive");
        }
    }

    private static List<List<Integer>> validateDistances(List<List<Integer>> d, int nodes) {
        if (d.size() != nodes) {
            throw new InvalidSpecException("distances", "needs " + nodes + " rows, got " + d.size());
        }
        List<List<Integer>> copy = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            List<Integer> row = d.get(i);
            if (row.size() != nodes) {
                throw new InvalidSpecException("distances", "row " + i + " needs " + nodes + " entries, got " + row.size());
            }
            for (int j = 0; j < nodes; j++) {
                int v = row.get(j);
                if (i == j ? v != 10 : v <= 10 || v > 254) {
                    throw new InvalidSpecException("distances", "distance " + i + "->" + j + " = " + v
                            + " (ACPI SLIT: 10 to self, 11..254 to other nodes)");
                }
            }
            copy.add(List.copyOf(row));
        }
        return List.copyOf(copy);
    }

    public long totalMemoryMib() {
        return memoryPerNodeMib * topology.numaNodes();
    }

    /** The distance matrix the guest will see: the given one, or 10 on the diagonal and 20 elsewhere. */
    public List<List<Integer>> effectiveDistances() {
        return distances.orElseGet(() -> {
            List<List<Integer>> rows = new ArrayList<>();
            for (int i = 0; i < topology.numaNodes(); i++) {
                List<Integer> row = new ArrayList<>();
                for (int j = 0; j < topology.numaNodes(); j++) {
                    row.add(i == j ? 10 : 20);
                }
                rows.add(List.copyOf(row));
            }
            return List.copyOf(rows);
        });
    }

    public static Builder builder(Path kernel) {
        return new Builder(kernel);
    }

    /** A builder with defaults: one CPU, 256 MiB, no initramfs, 30 s to start the VMM. */
    public static final class Builder {
        private final Path kernel;
        private Path initramfs;
        private String commandLine = "";
        private Topology topology = Topology.single();
        private long memoryPerNodeMib = 256;
        private List<List<Integer>> distances;
        private final List<String> consolePorts = new ArrayList<>();
        private final List<Path> disks = new ArrayList<>();
        private Duration startTimeout = Duration.ofSeconds(30);

        private Builder(Path kernel) {
            this.kernel = kernel;
        }

        public Builder initramfs(Path initramfs) {
            this.initramfs = initramfs;
            return this;
        }

        public Builder commandLine(String commandLine) {
            this.commandLine = commandLine;
            return this;
        }

        public Builder topology(Topology topology) {
            this.topology = topology;
            return this;
        }

        public Builder memoryPerNodeMib(long mib) {
            this.memoryPerNodeMib = mib;
            return this;
        }

        public Builder distances(List<List<Integer>> distances) {
            this.distances = distances;
            return this;
        }

        public Builder addConsolePort(String name) {
            consolePorts.add(name);
            return this;
        }

        public Builder addDisk(Path image) {
            disks.add(image);
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        public MachineSpec build() {
            return new MachineSpec(kernel, Optional.ofNullable(initramfs), commandLine, topology, memoryPerNodeMib,
                    Optional.ofNullable(distances), consolePorts, disks, startTimeout);
        }
    }
}
