package dev.jktstr.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.bindings.kvm.KvmMsrList;
import dev.jktstr.bindings.libc.LibcH;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileDescriptorTest {

    private static final Path KVM = Path.of("/dev/kvm");

    private static void assumeKvm() {
        Assumptions.assumeTrue(Files.isReadable(KVM) && Files.isWritable(KVM),
                "/dev/kvm is missing or not accessible: load kvm_intel/kvm_amd and join group kvm (or run as root)");
    }

    @Test
    void openingAMissingFileFailsWithEnoent(@TempDir Path dir) {
        Path missing = dir.resolve("missing");

        assertThatThrownBy(() -> FileDescriptor.open(missing, LibcH.O_RDONLY))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("ENOENT");
                    assertThat(e.errno()).isEqualTo(LibcH.ENOENT);
                    assertThat(e.call()).isEqualTo("open(" + missing + ")");
                    assertThat(e).hasMessage("open(" + missing + ") failed: ENOENT (No such file or directory)");
                });
    }

    @Test
    void kvmApiVersionIs12() {
        assumeKvm();
        try (FileDescriptor kvm = FileDescriptor.open(KVM, LibcH.O_RDWR)) {
            assertThat(kvm.ioctl(KvmH.KVM_GET_API_VERSION)).isEqualTo(12).isEqualTo(KvmH.KVM_API_VERSION);
        }
    }

    @Test
    void ioctlPassesAnIntegerArgument() {
        assumeKvm();
        try (FileDescriptor kvm = FileDescriptor.open(KVM, LibcH.O_RDWR)) {
            assertThat(kvm.ioctl(KvmH.KVM_CHECK_EXTENSION, KvmH.KVM_CAP_USER_MEMORY)).isPositive();
            assertThat(kvm.ioctl(KvmH.KVM_CHECK_EXTENSION, 0x7fff_ffffL)).isZero(); // no such capability
        }
    }

    @Test
    void ioctlPassesAPointerTheKernelWritesThrough() {
        assumeKvm();
        try (FileDescriptor kvm = FileDescriptor.open(KVM, LibcH.O_RDWR); Arena arena = Arena.ofConfined()) {
            MemorySegment list = arena.allocate(KvmMsrList.LAYOUT.byteSize() + 4096L * Integer.BYTES, 8);
            KvmMsrList.nmsrs(list, 0);

            // Too small a list: the kernel says E2BIG and writes how many MSRs there are.
            assertThatThrownBy(() -> kvm.ioctl(KvmH.KVM_GET_MSR_INDEX_LIST, list))
                    .isInstanceOfSatisfying(NativeException.class, e -> {
                        assertThat(e.errnoName()).isEqualTo("E2BIG");
                        assertThat(e.call()).isEqualTo("ioctl(/dev/kvm, 0x" + Long.toHexString(KvmH.KVM_GET_MSR_INDEX_LIST) + ")");
                    });
            int count = KvmMsrList.nmsrs(list);
            assertThat(count).isPositive();

            KvmMsrList.nmsrs(list, count);
            assertThat(kvm.ioctl(KvmH.KVM_GET_MSR_INDEX_LIST, list)).isZero();
            List<Integer> indices = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                indices.add(KvmMsrList.indices(list, i));
            }
            assertThat(indices).contains(0x10); // IA32_TIME_STAMP_COUNTER
        }
    }

    @Test
    void anUnknownIoctlNamesItsErrno() {
        assumeKvm();
        try (FileDescriptor kvm = FileDescriptor.open(KVM, LibcH.O_RDWR)) {
            assertThatThrownBy(() -> kvm.ioctl(0xae_ffL))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errnoName()).isIn("EINVAL", "ENOTTY"));
        }
    }

    @Test
    void opensWithCloseOnExec(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "x");
        try (FileDescriptor fd = FileDescriptor.open(file, LibcH.O_RDONLY)) {
            String fdinfo = Files.readString(Path.of("/proc/self/fdinfo/" + fd.fd()));
            long flags = Long.parseLong(fdinfo.lines().filter(l -> l.startsWith("flags:")).findFirst().orElseThrow()
                    .substring("flags:".length()).strip(), 8);
            assertThat(flags & LibcH.O_CLOEXEC).isEqualTo(LibcH.O_CLOEXEC);
        }
    }

    @Test
    void readsWritesAndPositionalIo(@TempDir Path dir) {
        Path file = dir.resolve("data");
        try (FileDescriptor fd = FileDescriptor.open(file, LibcH.O_RDWR | LibcH.O_CREAT | LibcH.O_TRUNC);
             Arena arena = Arena.ofConfined()) {
            // open has no mode argument here: the file gets whatever the stack held; only the data matters.
            assertThat(fd.write(arena.allocateFrom("hello world", StandardCharsets.US_ASCII).asSlice(0, 11))).isEqualTo(11);
            assertThat(fd.pwrite(arena.allocateFrom("W", StandardCharsets.US_ASCII).asSlice(0, 1), 6)).isEqualTo(1);
            MemorySegment buffer = arena.allocate(11);
            assertThat(fd.pread(buffer, 0)).isEqualTo(11);
            assertThat(new String(buffer.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII))
                    .isEqualTo("hello World");
        }
    }

    @Test
    void closeIsIdempotentAndThreadSafe(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "x");
        for (int round = 0; round < 20; round++) {
            FileDescriptor fd = FileDescriptor.open(file, LibcH.O_RDONLY);
            int number = fd.fd();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        fd.close();
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            start.countDown();
            for (Thread thread : threads) {
                thread.join();
            }
            assertThat(failures).isEmpty();
            assertThat(fd.isOpen()).isFalse();
            assertThat(Files.exists(Path.of("/proc/self/fd/" + number))).isFalse();
            fd.close();
            assertThatThrownBy(fd::fd).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        }
    }
}
