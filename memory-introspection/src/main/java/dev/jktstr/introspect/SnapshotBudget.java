package dev.jktstr.introspect;

/** The bytes and nodes one snapshot may still spend; charged before each allocation or visit. Not thread-safe. */
final class SnapshotBudget {
    private final IntrospectionLimits limits;
    private long bytes;
    private long nodes;

    SnapshotBudget(IntrospectionLimits limits) {
        this.limits = limits;
    }

    void reset() {
        bytes = 0;
        nodes = 0;
    }

    /** Charges {@code n} bytes about to be read for {@code what}; throws, charging nothing, when they do not fit. */
    void bytes(long n, String what) {
        if (n < 0 || n > limits.snapshotBytes() - bytes) {
            throw new SnapshotBudgetException("snapshot byte budget of " + limits.snapshotBytes() + " bytes spent ("
                    + bytes + " used; " + what + " needs " + n + " more)");
        }
        bytes += n;
    }

    /** Charges {@code n} node visits. */
    void nodes(long n, String what) {
        if (n < 0 || n > limits.snapshotNodes() - nodes) {
            throw new SnapshotBudgetException("snapshot node budget of " + limits.snapshotNodes() + " nodes spent ("
                    + nodes + " visited; " + what + " needs " + n + " more)");
        }
        nodes += n;
    }

    long nodesLeft() {
        return limits.snapshotNodes() - nodes;
    }

    long bytesUsed() {
        return bytes;
    }

    long nodesUsed() {
        return nodes;
    }
}
