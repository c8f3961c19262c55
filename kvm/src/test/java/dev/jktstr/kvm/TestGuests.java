package dev.jktstr.kvm;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The test-guest harness: tiny freestanding x86-64 programs (src/test/resources/dev/jktstr/kvm/guests/*.S)
 * assembled at test time with binutils ({@code as --64}, {@code ld -Ttext=0x100000}, {@code objcopy -O binary}),
 * or C ones (*.c with vguest.h, a freestanding virtio driver) built with gcc, crt.S and guest.ld; all are entered by the VMM in 64-bit mode at {@link #LOAD_ADDRESS}; no Linux involved.
 */
final class TestGuests {

    static final long LOAD_ADDRESS = 0x100000;
    static final long STACK_TOP = 0x80000;

    private static final Map<String, byte[]> CACHE = new ConcurrentHashMap<>();
    private static final Map<String, Path> ELF_CACHE = new ConcurrentHashMap<>();

    private TestGuests() {
    }

    static void assumeKvm() {
        assumeTrue(Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm")),
                "/dev/kvm is missing or not accessible: run on a host with KVM (and join the kvm group)");
    }

    static void assumeBinutils() {
        assumeTrue(Stream.of("as", "ld", "objcopy").allMatch(TestGuests::onPath),
                "binutils (as, ld, objcopy) not on PATH: apt-get install binutils");
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    /** The guest's flat binary, to be loaded at {@link #LOAD_ADDRESS}. */
    static byte[] binary(String name) {
        return CACHE.computeIfAbsent(name, n -> build(n, true));
    }

    /** The guest as a static ELF executable (a minimal "vmlinux"), kept until the JVM exits. */
    static Path elf(String name) {
        return ELF_CACHE.computeIfAbsent(name, n -> {
            try {
                Path out = Files.createTempFile("jktstr-guest-" + n, ".elf");
                out.toFile().deleteOnExit();
                Files.write(out, build(n, false));
                return out;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static byte[] build(String name, boolean flat) {
        assumeBinutils();
        boolean c = TestGuests.class.getResource("guests/" + name + ".c") != null;
        if (c) {
            assumeTrue(onPath("gcc"), "gcc not on PATH (the C test guests need it): apt-get install gcc");
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("jktstr-guest");
            List<String> files = c ? List.of(name + ".c", "vguest.h", "vcons.h", "vblkdrv.h", "crt.S", "guest.ld") : List.of(name + ".S", "common.inc");
            for (String file : files) {
                try (InputStream in = TestGuests.class.getResourceAsStream("guests/" + file)) {
                    if (in == null) {
                        throw new IllegalArgumentException("no test guest resource guests/" + file);
                    }
                    Files.copy(in, dir.resolve(file));
                }
            }
            if (c) {
                // Freestanding, no SSE (the guests copy with plain loops), flat layout from guest.ld with crt.S first.
                run(dir, "gcc", "-ffreestanding", "-fno-pic", "-fno-pie", "-nostdlib", "-mno-red-zone", "-mgeneral-regs-only",
                        "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-fno-builtin", "-O2", "-Wall",
                        "-Wno-unused-function", "-Werror", "-I", dir.toString(), "-c", name + ".c", "-o", "g.o");
                run(dir, "as", "--64", "-o", "crt.o", "crt.S");
                run(dir, "ld", "-m", "elf_x86_64", "-N", "--no-warn-rwx-segments", "-T", "guest.ld", "-o", "g.elf", "crt.o", "g.o");
            } else {
                run(dir, "as", "--64", "-I", dir.toString(), "-o", "g.o", name + ".S");
                run(dir, "ld", "-m", "elf_x86_64", "-N", "--no-warn-rwx-segments", "-Ttext=0x100000", "-e", "_start", "-o", "g.elf", "g.o");
            }
            if (!flat) {
                return Files.readAllBytes(dir.resolve("g.elf"));
            }
            run(dir, "objcopy", "-O", "binary", "g.elf", "g.bin");
            return Files.readAllBytes(dir.resolve("g.bin"));
        } catch (IOException e) {
            throw new IllegalStateException("building test guest " + name, e);
        } finally {
            if (dir != null) {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException ignored) {
                    // temp dir cleanup is best effort
                }
            }
        }
    }

    private static void run(Path dir, String... command) throws IOException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A VM with {@code guest} loaded, every vCPU entered at its start; not started yet. */
    static VirtualMachine create(String guest, VirtualMachine.Builder builder) {
        return create(guest, builder, Integer.MAX_VALUE);
    }

    /** As {@link #create(String, VirtualMachine.Builder)}, entering only the first {@code entered} vCPUs (the rest wait for SIPI). */
    static VirtualMachine create(String guest, VirtualMachine.Builder builder, int entered) {
        byte[] code = binary(guest);
        VirtualMachine vm = builder.build();
        try {
            vm.memory().writeBytes(LOAD_ADDRESS, code);
            for (int cpu = 0; cpu < Math.min(entered, vm.vcpuCount()); cpu++) {
                vm.setEntry(cpu, LOAD_ADDRESS, STACK_TOP - 0x1000L * cpu, 0);
            }
            return vm;
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
    }

    static VirtualMachine start(String guest) {
        VirtualMachine vm = create(guest, VirtualMachine.builder().memoryMib(16));
        vm.start();
        return vm;
    }

    static String output(VirtualMachine vm, int serial) {
        try (InputStream in = vm.serialOutput(serial)) {
            byte[] buf = new byte[in.available()];
            int n = in.read(buf);
            return new String(buf, 0, Math.max(n, 0));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
