package dev.jktstr.kvm.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.kvm.GuestTestSupport;
import dev.jktstr.kvm.VirtualMachine;
import dev.jktstr.machine.ExitReason;
import dev.jktstr.machine.GuestMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Boot-protocol parsing against the shared bzImage (not run: PVM is too slow), vmlinux direct entry, bad input. */
class BootTest {

    static Path sharedBzImage() {
        return GuestTestSupport.sharedBzImage();
    }

    @Test
    void parsesTheSetupHeaderOfTheSharedBzImage() throws Exception {
        Path path = sharedBzImage();
        LoadableKernel.BzImage bz = (LoadableKernel.BzImage) LoadableKernel.read(path);
        assertThat(bz.protocol()).isGreaterThanOrEqualTo(LoadableKernel.MIN_PROTOCOL);
        assertThat(bz.relocatable()).isTrue();
        assertThat(bz.initSize()).isGreaterThan(bz.payload().length);
        assertThat(bz.version()).startsWith("6.12");
        // Oracle: file(1) reads the same version string from the image.
        Process file = new ProcessBuilder("file", "-b", path.toString()).redirectErrorStream(true).start();
        String described = new String(file.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (file.waitFor(10, TimeUnit.SECONDS) && file.exitValue() == 0 && described.contains("version ")) {
            assertThat(described).contains("version " + bz.version().split(" ")[0]);
        }
    }

    @Test
    void notAKernelIsATypedError(@TempDir Path dir) throws IOException {
        Path text = Files.writeString(dir.resolve("notes.txt"), "this is not a kernel\n".repeat(100));
        assertThatThrownBy(() -> LoadableKernel.read(text)).isInstanceOf(KernelLoadException.class)
                .hasMessageContaining("is not a Linux kernel");
        assertThatThrownBy(() -> LoadableKernel.read(dir.resolve("missing"))).isInstanceOf(KernelLoadException.class)
                .hasMessageContaining("cannot read kernel");
    }

    @Test
    void truncatedBzImageIsATypedError(@TempDir Path dir) throws IOException {
        byte[] whole = Files.readAllBytes(sharedBzImage());
        for (int length : new int[] {0x300, 64 << 10, whole.length - 1}) {
            Path cut = Files.write(dir.resolve("bzImage-" + length), Arrays.copyOf(whole, length));
            assertThatThrownBy(() -> LoadableKernel.read(cut)).isInstanceOf(KernelLoadException.class)
                    .hasMessageContaining("truncated");
        }
        // A header cut mid-way reads as not a kernel (no HdrS), never as an index error.
        Path tiny = Files.write(dir.resolve("tiny"), Arrays.copyOf(whole, 0x100));
        assertThatThrownBy(() -> LoadableKernel.read(tiny)).isInstanceOf(KernelLoadException.class);
    }

    @Test
    void truncatedOrForeignElfIsATypedError(@TempDir Path dir) throws IOException {
        GuestTestSupport.assumeBinutils();
        byte[] elf = Files.readAllBytes(GuestTestSupport.elf("serial"));
        Path cut = Files.write(dir.resolve("cut.elf"), Arrays.copyOf(elf, 100));
        assertThatThrownBy(() -> LoadableKernel.read(cut)).isInstanceOf(KernelLoadException.class);
        byte[] foreign = elf.clone();
        foreign[18] = 40; // e_machine = ARM
        Path arm = Files.write(dir.resolve("arm.elf"), foreign);
        assertThatThrownBy(() -> LoadableKernel.read(arm)).isInstanceOf(KernelLoadException.class)
                .hasMessageContaining("not an x86_64 executable");
    }

    /**
     * The vmlinux beside the shared bzImage is the same build: loaded from its ELF segments with the bzImage's setup
     * header, its entry is startup_64 as System.map has it, and its segments are what readelf lists (oracle).
     */
    @Test
    void theSameBuildsVmlinuxBesideABzImageIsBootedUncompressed(@TempDir Path dir) throws Exception {
        Path path = sharedBzImage();
        Path vmlinux = path.resolveSibling("vmlinux");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(vmlinux), "no vmlinux beside " + path);
        LoadableKernel.BzImage bz = (LoadableKernel.BzImage) LoadableKernel.read(path);
        LoadableKernel.Elf elf = LoadableKernel.companionVmlinux(bz).orElseThrow();
        assertThat(elf.path()).isEqualTo(vmlinux.toAbsolutePath());
        assertThat(elf.setupHeader()).isEqualTo(bz.setupHeader());
        Path systemMap = path.resolveSibling("System.map");
        if (Files.isRegularFile(systemMap)) {
            long startup64 = Files.readAllLines(systemMap).stream().filter(l -> l.endsWith(" T startup_64"))
                    .mapToLong(l -> Long.parseUnsignedLong(l.substring(0, 16), 16)).findFirst().orElseThrow();
            assertThat(elf.entry()).isEqualTo(startup64 - 0xffffffff80000000L); // __START_KERNEL_map
        }
        if (new ProcessBuilder("which", "readelf").start().waitFor() == 0) {
            Process p = new ProcessBuilder("readelf", "-lW", vmlinux.toString()).redirectErrorStream(true).start();
            long loads = new String(p.getInputStream().readAllBytes()).lines().filter(l -> l.strip().startsWith("LOAD"))
                    .count();
            assertThat(elf.segments()).hasSize((int) loads);
        }
        // another build's vmlinux (the banner's build version differs) is not taken
        assertThat(LoadableKernel.sameBuild(bz.version(), Files.readAllBytes(vmlinux))).isTrue();
        assertThat(LoadableKernel.sameBuild(bz.version().replace("#1 ", "#2 "), Files.readAllBytes(vmlinux))).isFalse();
        assertThat(LoadableKernel.sameBuild("no parenthesis", new byte[16])).isFalse();
        // a bzImage with nothing beside it
        Path alone = Files.copy(path, dir.resolve("bzImage"));
        assertThat(LoadableKernel.companionVmlinux((LoadableKernel.BzImage) LoadableKernel.read(alone))).isEmpty();
        Files.write(dir.resolve("vmlinux"), new byte[] {0x7f, 'E', 'L', 'F'});
        assertThat(LoadableKernel.companionVmlinux((LoadableKernel.BzImage) LoadableKernel.read(alone))).isEmpty();
    }

    @Test
    void memoryTooSmallForKernelAndInitramfsIsATypedError() {
        GuestTestSupport.assumeKvm();
        LoadableKernel bz = LoadableKernel.read(sharedBzImage());
        try (VirtualMachine vm = VirtualMachine.builder().memoryMib(32).build()) {
            assertThatThrownBy(() -> LinuxBoot.load(vm, bz, Optional.of(new byte[8 << 20]), "console=ttyS0"))
                    .isInstanceOf(KernelLoadException.class)
                    .hasMessageContaining("give the machine at least");
        }
    }

    @Test
    void loadsTheSharedBzImageWithZeroPageE820AndAcpi() {
        GuestTestSupport.assumeKvm();
        LoadableKernel bz = LoadableKernel.read(sharedBzImage());
        try (VirtualMachine vm = VirtualMachine.builder().memoryMib(256).build()) {
            LinuxBoot.Loaded loaded = LinuxBoot.load(vm, bz, Optional.of(new byte[1 << 20]), "console=ttyS0 panic=-1");
            GuestMemory m = vm.memory();
            assertThat(loaded.entry()).isEqualTo(0x100200);
            assertThat(m.readCString(LinuxBoot.CMDLINE, 100)).isEqualTo("console=ttyS0 panic=-1");
            assertThat(m.readShort(LinuxBoot.ZERO_PAGE + 0x1FE) & 0xFFFF).isEqualTo(0xAA55);
            assertThat(m.readInt(LinuxBoot.ZERO_PAGE + 0x202)).isEqualTo(LoadableKernel.HDRS_MAGIC);
            assertThat(m.readByte(LinuxBoot.ZERO_PAGE + 0x210) & 0xFF).isEqualTo(0xFF); // type_of_loader
            assertThat(m.readInt(LinuxBoot.ZERO_PAGE + 0x218)).isEqualTo((int) loaded.initrdAddress());
            assertThat(loaded.initrdAddress() % 4096).isZero();
            assertThat(loaded.initrdAddress()).isGreaterThanOrEqualTo(loaded.kernelEnd());
            assertThat(m.readLong(LinuxBoot.ZERO_PAGE + 0x70)).isEqualTo(loaded.rsdpAddress());
            assertThat(new String(m.readBytes(loaded.rsdpAddress(), 8), StandardCharsets.US_ASCII)).isEqualTo("RSD PTR ");
            int entries = m.readByte(LinuxBoot.ZERO_PAGE + 0x1E8);
            assertThat(entries).isEqualTo(4);
            long e820 = LinuxBoot.ZERO_PAGE + 0x2D0;
            long[][] expect = {{0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xE0000, 0x20000, 2}, {0x100000, (256L << 20) - 0x100000, 1}};
            for (int i = 0; i < entries; i++) {
                assertThat(new long[] {m.readLong(e820 + 20L * i), m.readLong(e820 + 20L * i + 8), m.readInt(e820 + 20L * i + 16)})
                        .containsExactly(expect[i]);
            }
        }
    }

    @Test
    void vmlinuxDirectEntryRunsAnElfGuest() {
        GuestTestSupport.assumeKvm();
        LoadableKernel elf = LoadableKernel.read(GuestTestSupport.elf("serial"));
        assertThat(elf).isInstanceOf(LoadableKernel.Elf.class);
        try (VirtualMachine vm = VirtualMachine.builder().memoryMib(32).build()) {
            LinuxBoot.Loaded loaded = LinuxBoot.load(vm, elf, Optional.empty(), "");
            assertThat(loaded.entry()).isEqualTo(0x100000);
            vm.start();
            assertThat(vm.awaitExit(Duration.ofSeconds(30))).isEqualTo(ExitReason.POWEROFF);
            assertThat(vm.consoleTail()).isEqualTo("hello from a jktstr test guest");
        }
    }

    @Test
    void mutatedImagesGiveTypedErrorsOnly() throws IOException {
        GuestTestSupport.assumeBinutils();
        java.util.Random random = new java.util.Random(5);
        byte[] bz = Arrays.copyOf(Files.readAllBytes(sharedBzImage()), 256 << 10);
        byte[] elf = Files.readAllBytes(GuestTestSupport.elf("serial"));
        for (byte[] original : new byte[][] {bz, elf}) {
            int headerBytes = original == bz ? 0x280 : 0x100;
            for (int i = 0; i < 3000; i++) {
                byte[] mutant = original.clone();
                for (int k = 0; k < 1 + random.nextInt(4); k++) {
                    mutant[random.nextInt(headerBytes)] = (byte) random.nextInt();
                }
                if (random.nextInt(4) == 0) {
                    mutant = Arrays.copyOf(mutant, random.nextInt(mutant.length));
                }
                try {
                    LoadableKernel.parse(Path.of("mutant"), mutant);
                } catch (KernelLoadException expected) {
                    // fine: typed
                }
            }
        }
    }
}
