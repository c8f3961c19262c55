package dev.jktstr.qemu;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guest RAM is private to its run (issue 15, item 1): QEMU's memory-backend-memfd has no name, so no file of the run
 * under /dev/shm or the temp dir is ever readable by another user, a symlink planted at a predictable path does
 * nothing, and a SIGKILL at any moment of the start leaves nothing RAM-sized behind.
 */
@BootsVm
class QemuGuestRamTest {

    static final Path SHM = Path.of("/dev/shm");
    static final Path TMP = Path.of(System.getProperty("java.io.tmpdir"));
    static final long NODE_MIB = 64;
    /** 640 KiB to 1 MiB: not RAM on a PC. */
    static final long LEGACY_HOLE = 0x10_0000 - 0xA_0000;

    static MachineSpec twoNodes() {
        return MachineSpec.builder(TestGuests.bzImage()).memoryPerNodeMib(NODE_MIB).topology(new Topology(2, 1, 1, 1))
                .startTimeout(Duration.ofSeconds(60)).build();
    }

    /** inotify (the JDK's WatchService on Linux) on /dev/shm and the temp dir, and every jktstr dir made in them. */
    static final class Watch implements AutoCloseable {
        final WatchService ws = FileSystems.getDefault().newWatchService();
        final List<String> created = Collections.synchronizedList(new ArrayList<>());
        final List<String> exposed = Collections.synchronizedList(new ArrayList<>());
        final Thread thread;

        Watch() throws IOException {
            for (Path dir : List.of(SHM, TMP)) {
                if (Files.isDirectory(dir)) {
                    dir.register(ws, ENTRY_CREATE);
                }
            }
            thread = Thread.ofPlatform().daemon().start(this::run);
        }

        private void run() {
            try {
                while (true) {
                    WatchKey key = ws.take();
                    Path dir = (Path) key.watchable();
                    for (WatchEvent<?> e : key.pollEvents()) {
                        if (e.context() instanceof Path name) {
                            check(dir.resolve(name));
                        }
                    }
                    key.reset();
                }
            } catch (InterruptedException | java.nio.file.ClosedWatchServiceException e) {
                // done
            }
        }

        private void check(Path p) {
            String name = p.getFileName().toString();
            if (!name.startsWith("jktstr")) {
                return; // not a run's file (others use these directories too)
            }
            created.add(p.toString());
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                boolean othersMayRead = perms.contains(PosixFilePermission.OTHERS_READ)
                        || perms.contains(PosixFilePermission.GROUP_READ);
                boolean othersMayEnter = perms.contains(PosixFilePermission.OTHERS_EXECUTE)
                        || perms.contains(PosixFilePermission.GROUP_EXECUTE);
                if (othersMayRead || Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && othersMayEnter) {
                    exposed.add(p + " " + java.nio.file.attribute.PosixFilePermissions.toString(perms));
                }
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    p.register(ws, ENTRY_CREATE);
                }
            } catch (IOException e) {
                // gone already
            }
        }

        @Override
        public void close() throws IOException, InterruptedException {
            Thread.sleep(200); // let the last events arrive
            thread.interrupt();
            ws.close();
        }
    }

    @Test
    void noFileOfABootIsReadableByOthersAndRamHasNoName() throws Exception {
        QemuBackend backend = TestGuests.tcg();
        long pid = ProcessHandle.current().pid();
        List<String> qemuFds = new ArrayList<>();
        try (Watch watch = new Watch()) {
            try (Machine m = backend.boot(twoNodes())) {
                assertThat(m.memory().ramSize()).isEqualTo((2 * NODE_MIB << 20) - LEGACY_HOLE);
                long qemu = ProcessHandle.current().children().filter(h -> h.info().command().orElse("").contains("qemu"))
                        .findFirst().orElseThrow().pid();
                try (Stream<Path> fds = Files.list(Path.of("/proc/" + qemu + "/fd"))) {
                    for (Path fd : fds.toList()) {
                        try {
                            qemuFds.add(Files.readSymbolicLink(fd).toString());
                        } catch (IOException e) {
                            // closed meanwhile
                        }
                    }
                }
            }
            watch.close();
            assertThat(watch.exposed).as("files of the run readable by others").isEmpty();
            assertThat(watch.created).as("guest RAM files").noneMatch(p -> p.contains("jktstr-" + pid + "-"));
        }
        assertThat(qemuFds.stream().filter(t -> t.startsWith(QemuRamFds.MEMFD_LINK))).hasSize(2);
        assertThat(qemuFds).as("QEMU holds no file under /dev/shm or the temp dir")
                .noneMatch(t -> t.startsWith(SHM.toString()) || t.startsWith(TMP.toString()) && !t.endsWith(".sock"));
    }

    @Test
    void plantedSymlinksAtPredictablePathsDoNothing(@TempDir Path dir) throws Exception {
        QemuBackend backend = TestGuests.tcg();
        long pid = ProcessHandle.current().pid();
        Path victim = Files.createFile(dir.resolve("victim"));
        List<Path> planted = new ArrayList<>();
        try {
            // where RAM files used to go (jktstr-<pid>-<boot>-node<N>) for the next boots: at a victim, or dangling
            long next = QemuMachine.bootsSoFar() + 1;
            for (Path base : List.of(SHM, TMP)) {
                for (long boot = next; boot < next + 4; boot++) {
                    for (int node = 0; node < 2; node++) {
                        Path link = base.resolve("jktstr-" + pid + "-" + boot + "-node" + node);
                        if (Files.isDirectory(base) && !Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                            planted.add(Files.createSymbolicLink(link, boot % 2 == 0 ? victim : dir.resolve("nowhere")));
                        }
                    }
                }
            }
            long t0 = System.nanoTime();
            try (Machine m = backend.boot(twoNodes())) {
                assertThat(m.memory().ramSize()).isEqualTo((2 * NODE_MIB << 20) - LEGACY_HOLE);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(60));
            assertThat(Files.size(victim)).as("the symlinks' target is untouched").isZero();
            assertThat(Files.exists(dir.resolve("nowhere"))).isFalse();
        } finally {
            for (Path p : planted) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void sigkillAtAnyMomentOfTheStartLeavesNothingRamSized() throws Exception {
        TestGuests.assumeQemu();
        Path kernel = TestGuests.bzImage();
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        int killedWithQemu = 0;
        for (long delayMs : List.of(0L, 300L, 700L, 1200L, 2000L, 4000L)) {
            Process child = new ProcessBuilder(javaBin, "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), BootAndWait.class.getName(), kernel.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            List<ProcessHandle> qemus = new ArrayList<>();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs);
            do {
                child.descendants().filter(h -> h.info().command().orElse("").contains("qemu"))
                        .filter(h -> !qemus.contains(h)).forEach(qemus::add);
                Thread.sleep(10);
            } while (System.nanoTime() < until);
            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            child.waitFor();
            for (ProcessHandle q : qemus) {
                q.onExit().get(10, TimeUnit.SECONDS); // the parent-death signal
            }
            killedWithQemu += qemus.isEmpty() ? 0 : 1;
            assertThat(ramSizedFilesOf(child.pid())).as("after SIGKILL at %d ms", delayMs).isEmpty();
        }
        assertThat(killedWithQemu).as("kills that caught a QEMU starting or running").isPositive();
    }

    /** Files of a JVM's runs big enough to be guest RAM, in /dev/shm, the temp dir or its jktstr-qemu-* dirs. */
    static List<Path> ramSizedFilesOf(long pid) throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path dir : List.of(SHM, TMP)) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    String name = p.getFileName().toString();
                    if (name.startsWith("jktstr-" + pid + "-")) {
                        found.add(p);
                    } else if (name.startsWith("jktstr-qemu-") && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        try (Stream<Path> inner = Files.list(p)) {
                            for (Path f : inner.toList()) {
                                if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) && Files.size(f) >= NODE_MIB << 20) {
                                    found.add(f);
                                }
                            }
                        } catch (IOException e) {
                            // removed meanwhile
                        }
                    }
                }
            }
        }
        return found;
    }
}
