package dev.jktstr.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.guest.ExecResult;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.guest.GuestSession;
import dev.jktstr.guest.SnapshotStore;
import dev.jktstr.machine.MachineException;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import dev.jktstr.testsupport.BootsVm;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots on QEMU through {@link GuestSession}: a cold boot saves, the next boot of the same configuration restores
 * and its agent answers; a snapshot of another initramfs is refused with the reason, and so is a truncated one, each
 * followed by a cold boot; a restore that fails (damaged device stream, damaged RAM trailer) leaves nothing behind.
 * One image and one store for the class; the tests run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@BootsVm
class QemuSnapshotTest {

    @TempDir
    static Path storeDir;
    private static GuestImage image;
    private static SnapshotStore store;

    @BeforeAll
    static void setUp() {
        TestGuests.assumeQemu();
        image = TestGuests.image();
        store = SnapshotStore.at(storeDir);
    }

    @AfterAll
    static void tearDown() {
        if (image != null) {
            image.close();
        }
    }

    private static MachineSpec spec(Path initramfs) {
        return MachineSpec.builder(TestGuests.bzImage()).initramfs(initramfs).topology(new Topology(1, 1, 2, 1))
                .memoryPerNodeMib(256).commandLine("quiet").build();
    }

    private static GuestSession boot(Path initramfs, List<String> progress) {
        return GuestSession.boot(TestGuests.tcg(), spec(initramfs), TestGuests.READY_TIMEOUT, progress::add, store);
    }

    @Test
    @Order(1)
    void coldBootSavesAndTheNextBootRestoresWithAWorkingAgent() {
        List<String> progress = new ArrayList<>();
        long coldUptime;
        try (GuestSession cold = boot(image.initramfs(), progress)) {
            assertThat(cold.restored()).isFalse();
            assertThat(progress).anyMatch(l -> l.contains("no snapshot of this configuration yet"));
            assertThat(progress).anyMatch(l -> l.startsWith("saved a snapshot"));
            coldUptime = uptimeMs(cold);
            System.out.printf("cold: READY after %d ms; %s%n", cold.bootToReady().toMillis(), progress);
        }
        progress.clear();
        try (GuestSession warm = boot(image.initramfs(), progress)) {
            assertThat(warm.restored()).as("restored; progress: %s", progress).isTrue();
            System.out.printf("restored: READY after %d ms; %s%n", warm.bootToReady().toMillis(), progress);
            warm.agent().ping();
            ExecResult r = TestGuests.sh(warm, "echo restored-$((6*7)); cat /sys/devices/system/cpu/online");
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdoutText()).contains("restored-42").contains("0-1");
            // the guest clock goes on from the save (TCG's virtual clock is part of the migration): no jump
            long uptime = uptimeMs(warm);
            System.out.printf("guest uptime: %d ms at the cold boot's check, %d ms after the restore%n", coldUptime, uptime);
            assertThat(uptime).isPositive();
        }
    }

    @Test
    @Order(2)
    void aSnapshotOfAnotherInitramfsIsRefusedWithTheReasonAndReplaced() {
        try (GuestImage other = GuestImage.builder().withBusybox(true)
                .addBytes("other\n".getBytes(StandardCharsets.UTF_8), "/etc/other", 0644).build()) {
            List<String> progress = new ArrayList<>();
            try (GuestSession s = boot(other.initramfs(), progress)) {
                assertThat(s.restored()).isFalse();
                assertThat(progress).anyMatch(l -> l.contains("refused: initramfs differs"));
                assertThat(progress).anyMatch(l -> l.startsWith("saved a snapshot"));
                s.agent().ping();
            }
            System.out.println("other initramfs: " + progress);
            progress.clear();
            try (GuestSession s = boot(other.initramfs(), progress)) {
                assertThat(s.restored()).as("the replaced snapshot is used; %s", progress).isTrue();
                assertThat(TestGuests.sh(s, "cat /etc/other").stdoutText()).isEqualTo("other\n");
            }
        }
    }

    @Test
    @Order(3)
    void aTruncatedStateFileIsDetectedBeforeRestoreAndABootGoesCold() throws IOException {
        try (GuestSession s = boot(image.initramfs(), new ArrayList<>())) {
            assertThat(s.restored()).as("the slot holds the other initramfs's guest until this boot").isFalse();
        }
        Path state = onlyStateFile();
        try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        List<String> progress = new ArrayList<>();
        try (GuestSession s = boot(image.initramfs(), progress)) {
            assertThat(s.restored()).isFalse();
            assertThat(progress).anyMatch(l -> l.contains("refused") && l.contains("(truncated)"));
            s.agent().ping();
        }
        System.out.println("truncated: " + progress);
        try (Stream<Path> left = Files.list(storeDir)) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .as("no temp or old directories left").noneMatch(n -> n.contains(".tmp-") || n.contains(".old-"));
        }
    }

    @Test
    @Order(4)
    void aRestoreThatFailsLeavesNoQemuNoSocketsAndNoTempFiles() throws IOException {
        Path good = onlyStateFile();
        List<Path> tempBefore = ourTempDirs();
        Path badDevices = Files.copy(good, storeDir.resolve("bad-devices.bin"));
        try (RandomAccessFile f = new RandomAccessFile(badDevices.toFile(), "rw")) {
            f.write(new byte[64]); // QEMU's stream magic and header gone; our RAM trailer intact
        }
        Path badTrailer = Files.copy(good, storeDir.resolve("bad-trailer.bin"));
        try (RandomAccessFile f = new RandomAccessFile(badTrailer.toFile(), "rw")) {
            f.seek(f.length() - 80);
            f.write(new byte[8]);
        }
        for (Path bad : List.of(badDevices, badTrailer)) {
            assertThatThrownBy(() -> TestGuests.tcg().restore(spec(image.initramfs()), bad).close())
                    .isInstanceOf(MachineException.class);
        }
        assertThat(ProcessHandle.current().descendants()
                .filter(p -> p.info().command().orElse("").contains("qemu")).toList()).as("qemu processes left").isEmpty();
        assertThat(QemuProcesses.liveCount()).isZero();
        assertThat(ourTempDirs()).as("socket dirs left").isEqualTo(tempBefore);
        Files.delete(badDevices);
        Files.delete(badTrailer);
    }

    private static List<Path> ourTempDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("jktstr-qemu-")).sorted().toList();
        }
    }

    private static Path onlyStateFile() throws IOException {
        try (Stream<Path> slots = Files.list(storeDir)) {
            List<Path> states = slots.map(d -> d.resolve("state.bin")).filter(Files::exists).toList();
            assertThat(states).hasSize(1);
            return states.getFirst();
        }
    }

    private static long uptimeMs(GuestSession s) {
        String up = TestGuests.sh(s, "cat /proc/uptime").stdoutText().trim().split(" ")[0];
        return (long) (Double.parseDouble(up) * 1000);
    }
}
