package dev.jktstr.machine;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The named topologies a scheduler developer sweeps: ktstr's 24 gauntlet presets with the same shapes and names
 * (odd LLC counts, SMT on and off, several NUMA nodes, up to 252 CPUs). Usable wherever a topology is accepted:
 * {@code --topology odd-3llc}, {@link Topology#parse(String)}, {@link Topology#preset(String)}.
 *
 * <p>ktstr counts LLCs across the whole machine; {@link Topology} counts them per NUMA node. The table below is in
 * ktstr's terms and goes through {@link Topology#fromMachineWideLlcs}, so {@code numa2-8llc} is 2 nodes of 4 LLCs.
 *
 * @param memoryMib the RAM the VM gets, all nodes together (ktstr's figure), split evenly over the nodes
 */
public record TopologyPreset(String name, String description, Topology topology, int memoryMib) {

    private static final List<TopologyPreset> ALL = List.of(
            // name, what, NUMA nodes, LLCs (machine-wide), cores per LLC, threads per core, MiB
            of("tiny-1llc", "4 CPUs, 1 LLC", 1, 1, 4, 1, 2048),
            of("tiny-2llc", "4 CPUs, 2 LLCs", 1, 2, 2, 1, 2048),
            of("odd-3llc", "9 CPUs, 3 LLCs (odd)", 1, 3, 3, 1, 2048),
            of("odd-5llc", "15 CPUs, 5 LLCs (prime)", 1, 5, 3, 1, 2048),
            of("odd-7llc", "14 CPUs, 7 LLCs (prime)", 1, 7, 2, 1, 2048),
            of("smt-2llc", "8 CPUs, 2 LLCs with SMT", 1, 2, 2, 2, 2048),
            of("smt-3llc", "12 CPUs, 3 LLCs with SMT", 1, 3, 2, 2, 2048),
            of("medium-4llc", "32 CPUs, 4 LLCs", 1, 4, 4, 2, 2048),
            of("medium-8llc", "64 CPUs, 8 LLCs", 1, 8, 4, 2, 2048),
            of("large-4llc", "128 CPUs, 4 LLCs", 1, 4, 16, 2, 2048),
            of("large-8llc", "128 CPUs, 8 LLCs", 1, 8, 8, 2, 2048),
            of("near-max-llc", "240 CPUs, 15 LLCs (near max)", 1, 15, 8, 2, 2048),
            of("max-cpu", "252 CPUs, 14 LLCs (near QEMU's 255)", 1, 14, 9, 2, 4096),
            of("medium-4llc-nosmt", "32 CPUs, 4 LLCs (no SMT)", 1, 4, 8, 1, 2048),
            of("medium-8llc-nosmt", "64 CPUs, 8 LLCs (no SMT)", 1, 8, 8, 1, 2048),
            of("large-4llc-nosmt", "128 CPUs, 4 LLCs (no SMT)", 1, 4, 32, 1, 2048),
            of("large-8llc-nosmt", "128 CPUs, 8 LLCs (no SMT)", 1, 8, 16, 1, 2048),
            of("near-max-llc-nosmt", "240 CPUs, 15 LLCs (no SMT)", 1, 15, 16, 1, 2048),
            of("max-cpu-nosmt", "252 CPUs, 14 LLCs (no SMT, near QEMU's 255)", 1, 14, 18, 1, 4096),
            of("numa2-4llc", "16 CPUs, 2 NUMA nodes, 4 LLCs", 2, 4, 4, 1, 2048),
            of("numa2-8llc", "128 CPUs, 2 NUMA nodes, 8 LLCs", 2, 8, 8, 2, 2048),
            of("numa2-8llc-nosmt", "128 CPUs, 2 NUMA nodes, 8 LLCs (no SMT)", 2, 8, 16, 1, 2048),
            of("numa4-8llc", "32 CPUs, 4 NUMA nodes, 8 LLCs", 4, 8, 4, 1, 2048),
            of("numa4-12llc", "192 CPUs, 4 NUMA nodes, 12 LLCs", 4, 12, 8, 2, 4096));

    private static TopologyPreset of(String name, String description, int nodes, int llcs, int cores, int threads,
            int memoryMib) {
        return new TopologyPreset(name, description, Topology.fromMachineWideLlcs(nodes, llcs, cores, threads), memoryMib);
    }

    /** Every preset, smallest first within each family, as ktstr lists them. */
    public static List<TopologyPreset> all() {
        return ALL;
    }

    /** The preset of that name (case-insensitive), if there is one. */
    public static Optional<TopologyPreset> find(String name) {
        String wanted = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        return ALL.stream().filter(p -> p.name.equals(wanted)).findFirst();
    }

    /** The preset of that name, or an {@link InvalidSpecException} that lists the valid names. */
    public static TopologyPreset named(String name) {
        return find(name).orElseThrow(() -> new InvalidSpecException("topology", "no preset named '" + name
                + "'; presets: " + String.join(", ", ALL.stream().map(TopologyPreset::name).toList())
                + " (or N,L,C,T: NUMA nodes, LLCs per node, cores per LLC, threads per core)"));
    }

    /** RAM per NUMA node for {@link MachineSpec.Builder#memoryPerNodeMib}. */
    public int memoryPerNodeMib() {
        return memoryMib / topology.numaNodes();
    }
}
