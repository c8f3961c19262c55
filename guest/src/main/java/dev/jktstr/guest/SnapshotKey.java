package dev.jktstr.guest;

import dev.jktstr.machine.MachineSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a saved guest depends on, by name: the snapshot format, the jktstr version, the backend (its binary and
 * accelerator), the topology, RAM per node, NUMA distances, console ports, the kernel command line and the SHA-256 of
 * the kernel image and of the initramfs. A snapshot is used only when every component equals the one saved, and a
 * refusal names the first that differs.
 *
 * <p>The {@link #slot()} — backend kind, topology, memory, distances, ports — names where the snapshot is stored: the
 * configuration a user reruns. Within one slot a changed kernel, initramfs, command line, version or QEMU is a
 * mismatch with a reason (and the snapshot is replaced), not a silent miss.
 */
public record SnapshotKey(Map<String, String> components) {

    /** Bumped whenever what a snapshot holds or how it is restored changes. */
    static final String FORMAT = "1";
    private static final List<String> SLOT_PARTS = List.of("backend-kind", "topology", "memory-per-node-mib",
            "distances", "console-ports");

    public SnapshotKey {
        components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
        for (Map.Entry<String, String> e : components.entrySet()) {
            if (!e.getKey().matches("[a-z0-9-]{1,64}") || e.getValue().indexOf('\n') >= 0) {
                throw new IllegalArgumentException("bad snapshot key component " + e.getKey());
            }
        }
    }

    /**
     * The key of {@code spec} booted on a backend whose {@link dev.jktstr.machine.MachineBackend#snapshotIdentity()} is
     * {@code backendIdentity}; reads the kernel and the initramfs to hash them.
     */
    public static SnapshotKey of(MachineSpec spec, String backendIdentity, String version) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("format", FORMAT);
        c.put("jktstr-version", version);
        c.put("backend-kind", backendIdentity.split(" ", 2)[0]);
        c.put("backend", backendIdentity);
        c.put("topology", spec.topology().toString());
        c.put("memory-per-node-mib", Long.toString(spec.memoryPerNodeMib()));
        c.put("distances", spec.effectiveDistances().toString());
        c.put("console-ports", spec.consolePorts().toString());
        c.put("cmdline", spec.commandLine());
        c.put("kernel", "sha256:" + sha256(spec.kernel()));
        c.put("initramfs", spec.initramfs().map(p -> "sha256:" + sha256(p)).orElse("none"));
        return new SnapshotKey(c);
    }

    /** The store's directory name for this key's configuration: 16 hex digits of a SHA-256 over the slot parts. */
    public String slot() {
        StringBuilder s = new StringBuilder();
        for (String part : SLOT_PARTS) {
            s.append(part).append('=').append(components.getOrDefault(part, "")).append('\n');
        }
        return sha256(s.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    }

    /** Why a snapshot saved under {@code saved} cannot stand in for this key, or empty when they are equal. */
    public Optional<String> mismatch(SnapshotKey saved) {
        for (Map.Entry<String, String> e : components.entrySet()) {
            String then = saved.components.get(e.getKey());
            if (!e.getValue().equals(then)) {
                return Optional.of(e.getKey() + " differs (snapshot: " + abbreviate(then) + ", now: "
                        + abbreviate(e.getValue()) + ")");
            }
        }
        for (String k : saved.components.keySet()) {
            if (!components.containsKey(k)) {
                return Optional.of("the snapshot has an unknown component " + k);
            }
        }
        return Optional.empty();
    }

    private static String abbreviate(String v) {
        if (v == null) {
            return "missing";
        }
        return v.length() <= 80 ? v : v.substring(0, 77) + "...";
    }

    static String sha256(Path file) {
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash " + file + " for the snapshot key: " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
