package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineException;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's lookups, saves and refusals, with a fake backend whose machine "saves" a few bytes. */
class SnapshotStoreTest {

    @TempDir
    Path dir;
    private Path kernel;
    private Path initramfs;
    private SnapshotStore store;

    @BeforeEach
    void files() throws IOException {
        kernel = Files.write(dir.resolve("bzImage"), new byte[] {1, 2, 3});
        initramfs = Files.write(dir.resolve("initramfs"), new byte[] {4, 5});
        store = SnapshotStore.at(dir.resolve("store"));
    }

    private MachineSpec spec() {
        return MachineSpec.builder(kernel).initramfs(initramfs).topology(new Topology(1, 1, 2, 1)).memoryPerNodeMib(64)
                .build();
    }

    private static MachineBackend backend(Optional<String> identity) {
        return new MachineBackend() {
            @Override
            public String name() {
                return "fake";
            }

            @Override
            public int speedRank() {
                return 0;
            }

            @Override
            public Support canBoot(MachineSpec spec) {
                return Support.yes("fake");
            }

            @Override
            public Machine boot(MachineSpec spec) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Optional<String> snapshotIdentity() {
                return identity;
            }
        };
    }

    /** A machine whose saveState writes {@code bytes} bytes, or fails when {@code bytes} is negative. */
    private static Machine machine(int bytes) {
        return (Machine) Proxy.newProxyInstance(Machine.class.getClassLoader(), new Class<?>[] {Machine.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("saveState")) {
                        Path file = (Path) args[0];
                        if (bytes < 0) {
                            Files.write(file, new byte[] {1}); // a partial file, then the failure
                            throw new MachineException("migration failed");
                        }
                        Files.write(file, new byte[bytes]);
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private SnapshotStore.Lookup find() {
        return store.find(backend(Optional.of("fake:x 1")), spec());
    }

    @Test
    void anEmptyStoreHasNoSnapshotYetAndASaveIsFoundWhole() throws IOException {
        SnapshotStore.Lookup none = find();
        assertThat(none.key()).isPresent();
        assertThat(none.state()).isEmpty();
        assertThat(none.reason()).startsWith("no snapshot of this configuration yet");

        Path slot = store.save(none.key().get(), machine(4096), Duration.ofSeconds(5));
        SnapshotStore.Lookup found = find();
        assertThat(found.state()).hasValue(slot.resolve(SnapshotStore.STATE_FILE));
        assertThat(Files.size(found.state().get())).isEqualTo(4096);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aSnapshotOfAnotherInitramfsIsRefusedWithTheReasonAndASaveReplacesIt() throws IOException {
        store.save(find().key().get(), machine(100), Duration.ofSeconds(5));
        Files.write(initramfs, new byte[] {6});
        SnapshotStore.Lookup refused = find();
        assertThat(refused.state()).isEmpty();
        assertThat(refused.reason()).contains("refused: initramfs differs (snapshot: sha256:");

        store.save(refused.key().get(), machine(200), Duration.ofSeconds(5));
        assertThat(find().state()).isPresent();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aTruncatedStateFileIsRefusedBeforeAnyRestore() throws IOException {
        Path slot = store.save(find().key().get(), machine(8192), Duration.ofSeconds(5));
        try (RandomAccessFile f = new RandomAccessFile(slot.resolve(SnapshotStore.STATE_FILE).toFile(), "rw")) {
            f.setLength(4096);
        }
        SnapshotStore.Lookup l = find();
        assertThat(l.state()).isEmpty();
        assertThat(l.reason()).endsWith("refused: the state file is 4096 bytes, the manifest says 8192 (truncated)");
    }

    @Test
    void aGarbageManifestIsRefusedNotThrown() throws IOException {
        Path slot = store.save(find().key().get(), machine(10), Duration.ofSeconds(5));
        Files.writeString(slot.resolve(SnapshotManifest.FILE), "\u0000\u0001garbage");
        assertThat(find().reason()).contains("refused: manifest").contains("lacks state.size");
    }

    @Test
    void aFailedSaveLeavesNothingAndKeepsTheOldSnapshot() throws IOException {
        store.save(find().key().get(), machine(10), Duration.ofSeconds(5));
        assertThatThrownBy(() -> store.save(find().key().get(), machine(-1), Duration.ofSeconds(5)))
                .isInstanceOf(MachineException.class);
        assertThat(leftovers()).isEmpty();
        assertThat(find().state()).isPresent();
    }

    @Test
    void aSaveRemovesWhatAKilledSaveLeftLongAgoButNotAFreshOne() throws IOException {
        Files.createDirectories(store.dir());
        Path abandoned = Files.createDirectories(store.dir().resolve("0123456789abcdef.tmp-1"));
        Files.write(abandoned.resolve(SnapshotStore.STATE_FILE), new byte[10]);
        Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.fromMillis(0));
        Path fresh = Files.createDirectories(store.dir().resolve("0123456789abcdef.tmp-2"));
        store.save(find().key().get(), machine(10), Duration.ofSeconds(5));
        assertThat(abandoned).doesNotExist();
        assertThat(fresh).exists();
    }

    @Test
    void aBackendWithoutSnapshotsOrASpecWithDisksHasNoKey() throws IOException {
        assertThat(store.find(backend(Optional.empty()), spec()).key()).isEmpty();
        assertThat(store.find(backend(Optional.empty()), spec()).reason()).isEqualTo("the fake backend has no snapshots");
        Path disk = Files.write(dir.resolve("disk.img"), new byte[512]);
        MachineSpec withDisk = MachineSpec.builder(kernel).initramfs(initramfs).addDisk(disk).build();
        assertThat(store.find(backend(Optional.of("fake:x 1")), withDisk).reason()).contains("disk images");
    }

    @Test
    void theDefaultStoreIsInTheUserCacheBesideTheKernelCache() {
        assertThat(SnapshotStore.defaultDir().toString()).endsWith("jktstr/snapshots");
    }

    private java.util.List<String> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(store.dir())) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-") || n.contains(".old-")).toList();
        }
    }
}
