package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotKeyTest {

    private static final String QEMU = "qemu:tcg /usr/bin/qemu-system-x86_64 100 bytes, modified 1";

    @TempDir
    Path dir;
    private Path kernel;
    private Path initramfs;

    @BeforeEach
    void files() throws IOException {
        kernel = Files.write(dir.resolve("bzImage"), new byte[] {1, 2, 3});
        initramfs = Files.write(dir.resolve("initramfs"), new byte[] {4, 5});
    }

    private MachineSpec.Builder spec() {
        return MachineSpec.builder(kernel).initramfs(initramfs).topology(new Topology(1, 1, 2, 1)).memoryPerNodeMib(256)
                .commandLine("quiet");
    }

    @Test
    void theSameInputsGiveTheSameKeyAndTheKernelIsHashedByContent() throws Exception {
        SnapshotKey a = SnapshotKey.of(spec().build(), QEMU, "1.0");
        SnapshotKey b = SnapshotKey.of(spec().build(), QEMU, "1.0");
        assertThat(a).isEqualTo(b);
        assertThat(a.slot()).isEqualTo(b.slot()).matches("[0-9a-f]{16}");
        assertThat(a.mismatch(b)).isEmpty();
        // independent oracle: the JDK's SHA-256 of the file's bytes
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(new byte[] {1, 2, 3}));
        assertThat(a.components()).containsEntry("kernel", "sha256:" + sha);
    }

    @Test
    void aChangedKernelInitramfsCmdlineVersionOrQemuKeepsTheSlotAndNamesTheDifference() throws IOException {
        SnapshotKey saved = SnapshotKey.of(spec().build(), QEMU, "1.0");
        Files.write(kernel, new byte[] {9});
        SnapshotKey now = SnapshotKey.of(spec().build(), QEMU, "1.0");
        assertThat(now.slot()).isEqualTo(saved.slot());
        assertThat(now.mismatch(saved)).hasValueSatisfying(r -> assertThat(r).startsWith("kernel differs (snapshot: sha256:"));

        SnapshotKey base = SnapshotKey.of(spec().build(), QEMU, "1.0");
        assertThat(SnapshotKey.of(spec().commandLine("quiet nokaslr").build(), QEMU, "1.0").mismatch(base))
                .hasValueSatisfying(r -> assertThat(r).isEqualTo("cmdline differs (snapshot: quiet, now: quiet nokaslr)"));
        assertThat(SnapshotKey.of(spec().build(), QEMU, "1.1").mismatch(base))
                .hasValueSatisfying(r -> assertThat(r).startsWith("jktstr-version differs"));
        assertThat(SnapshotKey.of(spec().build(), QEMU.replace("100", "101"), "1.0").mismatch(base))
                .hasValueSatisfying(r -> assertThat(r).startsWith("backend differs"));
        Files.write(initramfs, new byte[] {7});
        assertThat(SnapshotKey.of(spec().build(), QEMU, "1.0").mismatch(base))
                .hasValueSatisfying(r -> assertThat(r).startsWith("initramfs differs"));
    }

    @Test
    void topologyMemoryAndAcceleratorNameAnotherSlot() {
        String slot = SnapshotKey.of(spec().build(), QEMU, "1.0").slot();
        assertThat(SnapshotKey.of(spec().topology(new Topology(1, 1, 4, 1)).build(), QEMU, "1.0").slot()).isNotEqualTo(slot);
        assertThat(SnapshotKey.of(spec().memoryPerNodeMib(512).build(), QEMU, "1.0").slot()).isNotEqualTo(slot);
        assertThat(SnapshotKey.of(spec().build(), QEMU.replace("tcg", "kvm"), "1.0").slot()).isNotEqualTo(slot);
        assertThat(SnapshotKey.of(spec().addConsolePort("extra").build(), QEMU, "1.0").slot()).isNotEqualTo(slot);
    }

    @Test
    void aSavedKeyWithAComponentThisVersionDoesNotKnowIsAMismatch() {
        SnapshotKey now = SnapshotKey.of(spec().build(), QEMU, "1.0");
        java.util.Map<String, String> more = new java.util.LinkedHashMap<>(now.components());
        more.put("future-part", "x");
        assertThat(now.mismatch(new SnapshotKey(more))).hasValue("the snapshot has an unknown component future-part");
    }
}
