package dev.jktstr.introspect;

import dev.jktstr.machine.Topology;

/**
 * What one snapshot may cost the host, whatever the guest kernel's structures claim.
 *
 * @param snapshotBytes bytes copied out of guest memory per snapshot, across all maps, CPUs and map BTF
 * @param snapshotNodes linked nodes visited per snapshot, across all lists, chains and xarray nodes
 * @param maxCpus CPU ids considered at most: the VM's own vCPU count ({@code nr_cpu_ids} above it is capped)
 * @param btfCacheBytes map BTF kept across snapshots (least recently used evicted first, by raw bytes)
 */
public record IntrospectionLimits(long snapshotBytes, long snapshotNodes, int maxCpus, long btfCacheBytes) {
    /** 64 MiB and a million nodes per snapshot, the largest topology a backend boots, 32 MiB of map BTF. */
    public static final IntrospectionLimits DEFAULT = new IntrospectionLimits(64L << 20, 1_000_000, Topology.MAX_CPUS,
            32L << 20);

    public IntrospectionLimits {
        if (snapshotBytes <= 0 || snapshotNodes <= 0 || maxCpus <= 0 || btfCacheBytes < 0) {
            throw new IllegalArgumentException("limits must be positive: " + snapshotBytes + ", " + snapshotNodes + ", "
                    + maxCpus + ", " + btfCacheBytes);
        }
    }

    public IntrospectionLimits withMaxCpus(int cpus) {
        return new IntrospectionLimits(snapshotBytes, snapshotNodes, cpus, btfCacheBytes);
    }

    public IntrospectionLimits withSnapshotBytes(long bytes) {
        return new IntrospectionLimits(bytes, snapshotNodes, maxCpus, btfCacheBytes);
    }

    public IntrospectionLimits withSnapshotNodes(long nodes) {
        return new IntrospectionLimits(snapshotBytes, nodes, maxCpus, btfCacheBytes);
    }

    public IntrospectionLimits withBtfCacheBytes(long bytes) {
        return new IntrospectionLimits(snapshotBytes, snapshotNodes, maxCpus, bytes);
    }
}
