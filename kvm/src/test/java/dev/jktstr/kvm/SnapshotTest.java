package dev.jktstr.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.machine.MachineStateException;
import dev.jktstr.virtio.VirtioConsole;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots of test guests (Firecracker's model: vCPU and irqchip state plus RAM): a guest saved mid-run, closed and
 * restored into a new VM continues where it was — twice from one file alike — its PIT keeps interrupting, and
 * damaged or foreign files are refused, naming the file, with nothing left open.
 */
class SnapshotTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final long COUNTER = 0x200000;
    static final long TICKS = 0x200008;

    @TempDir
    Path dir;

    @BeforeAll
    static void requirements() {
        TestGuests.assumeKvm();
        TestGuests.assumeBinutils();
    }

    private static VirtualMachine.Builder small() {
        return VirtualMachine.builder().memoryMib(16).watchdog(Duration.ofMinutes(2));
    }

    @Test
    void countingGuestContinuesFromTheSnapshotTwiceAlike() throws Exception {
        Path file = dir.resolve("counter.snap");
        String before;
        long counterAtSave;
        try (VirtualMachine vm = TestGuests.create("counter", small())) {
            vm.start();
            awaitLines(vm, 20);
            vm.pause();
            before = TestGuests.output(vm, 0);
            counterAtSave = vm.memory().readLong(COUNTER);
            long t0 = System.nanoTime();
            vm.saveSnapshot(file);
            long saveMicros = (System.nanoTime() - t0) / 1000;
            assertThat(vm.isPaused()).as("a paused VM stays paused through a save").isTrue();
            System.out.printf("snapshot of a 16 MiB test guest: saved in %d µs, file %d bytes%n", saveMicros, Files.size(file));
        }
        List<String> continuations = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            long t0 = System.nanoTime();
            try (VirtualMachine vm = small().restore(file)) {
                long restoreMicros = (System.nanoTime() - t0) / 1000;
                System.out.printf("restore %d of the 16 MiB test guest: %d µs (build, read, set state; not started)%n", run,
                        restoreMicros);
                assertThat(vm.memory().readLong(COUNTER)).as("RAM restored").isEqualTo(counterAtSave);
                vm.start();
                awaitLines(vm, 10);
                vm.pause();
                String after = TestGuests.output(vm, 0);
                assertConsecutive(before + after, "c");
                continuations.add(String.join("\n", lines(after).subList(0, 10)));
            }
        }
        assertThat(continuations.get(1)).as("both restores continue alike").isEqualTo(continuations.get(0));
        assertThat(lines(continuations.get(0)).getFirst()).as("output after the restore does not start over")
                .isNotEqualTo("c 00000001");
    }

    @Test
    void pitInterruptsGoOnAfterRestore() throws Exception {
        Path file = dir.resolve("ticks.snap");
        String before;
        try (VirtualMachine vm = TestGuests.create("ticks", small())) {
            vm.start();
            awaitLines(vm, 3);
            // A running VM: saveSnapshot pauses it itself and lets it run on.
            vm.saveSnapshot(file);
            assertThat(vm.isPaused()).isFalse();
            vm.pause();
            before = TestGuests.output(vm, 0);
        }
        try (VirtualMachine vm = small().restore(file)) {
            long ticksAtSave = vm.memory().readLong(TICKS);
            assertThat(ticksAtSave).isGreaterThanOrEqualTo(48);
            vm.start();
            awaitLines(vm, 3);
            vm.pause();
            String after = TestGuests.output(vm, 0);
            // The saved VM ran on after the save, so "before" is longer; what the restored one prints picks up at the
            // tick count the file holds.
            List<String> restored = lines(after);
            long first = Long.parseLong(restored.getFirst().substring(2), 16);
            assertThat(first).isEqualTo((ticksAtSave / 16 + 1) * 16);
            assertConsecutiveTicks(restored);
            assertThat(vm.memory().readLong(TICKS)).isGreaterThan(ticksAtSave + 32);
            assertThat(before).startsWith("t 00000010\n");
        }
    }

    @Test
    void virtioDevicesAreRefusedForNow() {
        try (VirtualMachine vm = TestGuests.create("spin", small())) {
            vm.addVirtioDevice("console", VirtioConsole.withNamedPorts(List.of("jktstr.ctl")));
            vm.start();
            assertThatThrownBy(() -> vm.saveSnapshot(dir.resolve("v.snap"))).isInstanceOf(MachineStateException.class)
                    .hasMessageContaining("virtio");
            assertThat(dir.resolve("v.snap")).doesNotExist();
        }
    }

    @Test
    void damagedOrForeignFilesAreRefusedNamingTheFileAndLeakNothing() throws Exception {
        Path good = dir.resolve("good.snap");
        try (VirtualMachine vm = TestGuests.create("counter", small())) {
            vm.start();
            awaitLines(vm, 2);
            vm.saveSnapshot(good);
        }
        long size = Files.size(good);
        List<Path> bad = new ArrayList<>();
        for (long cut : new long[] {0, 7, 40, 200, 5000, size / 2, size - 25, size - 1}) {
            Path f = dir.resolve("cut-" + cut + ".snap");
            Files.copy(good, f);
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
                c.truncate(cut);
            }
            bad.add(f);
        }
        bad.add(edited(good, "magic", b -> b.putLong(0, 0x1234)));
        bad.add(edited(good, "version", b -> b.putInt(8, SnapshotFile.VERSION + 1)));
        bad.add(edited(good, "huge-section", b -> b.putLong(firstSectionLengthOffset(b), Long.MAX_VALUE / 2)));
        bad.add(edited(good, "node-count", b -> b.putInt(28, 1_000_000)));
        bad.add(edited(good, "topology", b -> b.putInt(12, 0)));
        for (Path f : bad) {
            assertThatThrownBy(() -> small().restore(f)).as(f.getFileName().toString())
                    .isInstanceOf(SnapshotFileException.class).hasMessageContaining(f.toString())
                    .satisfies(e -> assertThat(((SnapshotFileException) e).file()).isEqualTo(f));
        }
        // A file of another shape reads fine but fits no VM of this builder.
        assertThatThrownBy(() -> small().vcpus(2).restore(good)).isInstanceOf(SnapshotFileException.class)
                .hasMessageContaining(good.toString()).hasMessageContaining("topology");
        assertThatThrownBy(() -> VirtualMachine.builder().memoryMib(32).restore(good))
                .isInstanceOf(SnapshotFileException.class).hasMessageContaining("memory per node");

        // Refusals close what they opened: descriptors, threads and mappings stay flat over many of them.
        Path mismatch = good;
        // No System.gc() here: descriptors and mappings are closed explicitly, and a forced GC would only shrink the
        // heap under a later HygieneTest's RSS baseline in the same JVM.
        refuseMany(bad, mismatch, 5);
        HygieneTest.Snapshot start = HygieneTest.Snapshot.take();
        refuseMany(bad, mismatch, 20);
        HygieneTest.Snapshot end = HygieneTest.Snapshot.take();
        System.out.println("snapshot refusals: before " + start + ", after " + end);
        assertThat(end.fds()).as("open descriptors").isEqualTo(start.fds());
        assertThat(end.threads()).as("threads").isLessThanOrEqualTo(start.threads());
        assertThat(end.vmSizeKib() - start.vmSizeKib()).as("VmSize growth (KiB)").isLessThan(16 * 1024);
    }

    private static void refuseMany(List<Path> bad, Path mismatch, int rounds) {
        for (int i = 0; i < rounds; i++) {
            for (Path f : bad) {
                assertThatThrownBy(() -> small().restore(f)).isInstanceOf(SnapshotFileException.class);
            }
            assertThatThrownBy(() -> small().vcpus(2).restore(mismatch)).isInstanceOf(SnapshotFileException.class);
        }
    }

    /** Where the first section's length lies: after the header (magic, version, topology, nodes, memory, parts, XSAVE). */
    private static int firstSectionLengthOffset(ByteBuffer b) {
        int nodes = b.getInt(28);
        return 8 + 4 + 16 + 4 + 8 * nodes + 8 + 16;
    }

    private Path edited(Path good, String name, Consumer<ByteBuffer> edit) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(good)).order(ByteOrder.LITTLE_ENDIAN);
        edit.accept(b);
        Path f = dir.resolve(name + ".snap");
        Files.write(f, b.array());
        return f;
    }

    private static void awaitLines(VirtualMachine vm, int n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (lines(TestGuests.output(vm, 0)).size() < n) {
            assertThat(System.nanoTime()).as("%d lines within %s; got %s, exit %s", n, WAIT, TestGuests.output(vm, 0),
                    vm.exit()).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /** The complete lines of {@code text}. */
    private static List<String> lines(String text) {
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
    }

    /** Every complete line is "{prefix} n" with n counting up by one from 1. */
    private static void assertConsecutive(String text, String prefix) {
        List<String> lines = lines(text);
        for (int i = 0; i < lines.size(); i++) {
            assertThat(lines.get(i)).as("line %d of %d", i, lines.size()).isEqualTo(String.format("%s %08x", prefix, i + 1));
        }
    }

    private static void assertConsecutiveTicks(List<String> lines) {
        long first = Long.parseLong(lines.getFirst().substring(2), 16);
        for (int i = 0; i < lines.size(); i++) {
            assertThat(lines.get(i)).isEqualTo(String.format("t %08x", first + 16L * i));
        }
    }
}
