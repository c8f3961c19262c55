package dev.jktstr.cli;

import dev.jktstr.guest.InitramfsWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The nested-KVM proving ground: on a host without hardware virtualization, an L1 Linux under QEMU's TCG
 * with {@code -cpu max} (which emulates AMD SVM) gets a real {@code /dev/kvm} from {@code kvm_amd}. The
 * host's {@code /} is shared into L1 over 9p and a command runs there, chrooted, with the same files,
 * JDK and build outputs — so our VMM's Linux path is checked on real KVM, next to QEMU+KVM in the same L1.
 * Everything is slow (TCG underneath): this is for correctness, never for speed.
 *
 * <p>The L1 kernel is Debian's own {@code linux-image-*-amd64} package ({@code apt-get download}, the
 * kernel and 14 modules kept under the user cache); the initramfs is written with {@link InitramfsWriter}
 * around the host's static busybox. Each run gets a directory under the cache holding its script and the
 * exit status, which L1 writes through 9p without caching, so the evidence is on the host even when L1 is
 * killed; the directory is removed afterwards, and stale ones from dead JVMs are swept at start.
 */
public final class NestedKvm {

    /** Exit status when the proving ground cannot run here (a tool or the kernel package missing). */
    public static final int CANNOT_RUN = 2;
    /** Exit status when the command ran past its time limit (L1 is killed). */
    public static final int TIMED_OUT = 124;

    /** The modules L1 loads, in dependency order: virtio-pci, 9p over virtio, then KVM for AMD. */
    static final List<String> MODULES = List.of("virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
            "virtio_pci", "9pnet", "9pnet_virtio", "netfs", "fscache", "9p", "irqbypass", "ccp", "kvm", "kvm-amd");

    /** The host environment the command sees in L1 (the rest of L1's environment is empty). */
    static final List<String> PASSED_ENVIRONMENT = List.of("PATH", "HOME", "JAVA_HOME", "LANG", "TERM", "CI", "USER",
            "XDG_CACHE_HOME", "MAVEN_OPTS", "JKTSTR_KERNEL", "JKTSTR_DEBUG");

    private static final String EXIT_MARKER = "jktstr-nested-exit=";

    /** Why the proving ground cannot run here. */
    public static final class CannotRunException extends RuntimeException {
        public CannotRunException(String message) {
            super(message);
        }
    }

    private final Path cache;
    private final int cpus;
    private final long memoryMib;
    private final PrintStream progress;
    private boolean multiThreadedTcg;

    public NestedKvm(Path cache, int cpus, long memoryMib, PrintStream progress) {
        this.cache = cache;
        this.cpus = cpus;
        this.memoryMib = memoryMib;
        this.progress = progress;
    }

    /**
     * Multi-threaded TCG: with several L1 CPUs it ran stale translations of code the JVM in L1 had just
     * rewritten on another CPU (SIGILL in C1 code), as it did with a guest kernel's live patching. Off by
     * default; with one L1 CPU (the default) there is no other CPU to go stale on, and it makes no difference.
     */
    public NestedKvm multiThreadedTcg(boolean on) {
        this.multiThreadedTcg = on;
        return this;
    }

    /** The default cache: {@code $XDG_CACHE_HOME/jktstr/nested-kvm} or {@code ~/.cache/jktstr/nested-kvm}. */
    public static Path defaultCache() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("jktstr").resolve("nested-kvm");
    }

    /**
     * Runs {@code command} (a shell command line) in L1, in the current directory, streaming L1's console
     * to {@code out}; returns the command's exit status, {@link #TIMED_OUT} after {@code timeout}.
     *
     * @throws CannotRunException when a tool or the kernel package is missing
     */
    public int run(String command, Duration timeout, OutputStream out) {
        requireTools();
        L1Kernel kernel = kernel();
        sweepStaleRuns();
        Path run;
        try {
            run = createRunDirectory();
        } catch (IOException e) {
            throw new UncheckedIOException("nested-kvm: cannot create a run directory under " + cache + ": " + e.getMessage(), e);
        }
        try {
            Path script = run.resolve("run.sh");
            Path exitFile = run.resolve("exit");
            Files.writeString(script, runScript(command, exitFile), StandardCharsets.UTF_8);
            Path initramfs = run.resolve("initramfs.cpio.gz");
            writeInitramfs(initramfs, kernel, script);
            return boot(kernel, initramfs, exitFile, timeout, out);
        } catch (IOException e) {
            throw new UncheckedIOException("nested-kvm: " + e.getMessage(), e);
        } finally {
            deleteTree(run);
        }
    }

    private static void requireTools() {
        for (String tool : List.of("qemu-system-x86_64", "apt-get", "apt-cache", "dpkg-deb", "setpriv")) {
            if (HostProbe.system().which(tool).isEmpty()) {
                throw new CannotRunException(tool + " not found on PATH; scripts/install-deps.sh installs it");
            }
        }
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isExecutable(busybox)) {
            throw new CannotRunException("/bin/busybox not found; install busybox-static (scripts/install-deps.sh)");
        }
    }

    /** Debian's kernel for L1: its vmlinuz and the modules L1 needs. */
    record L1Kernel(String release, Path vmlinuz, Map<String, Path> modules) {}

    /** The kernel package's files, downloaded and unpacked once into the cache. */
    L1Kernel kernel() {
        try {
            Files.createDirectories(cache);
            Optional<L1Kernel> cached = cachedKernel();
            if (cached.isPresent()) {
                return cached.get();
            }
            String pkg = kernelPackage();
            progress.println("nested-kvm: fetching " + pkg + " (Debian's kernel for the L1 machine; once, cached in " + cache + ")");
            Path staging = Files.createTempDirectory(cache, "fetch-");
            try {
                exec(staging, Duration.ofMinutes(10), "apt-get", "download", pkg);
                Path deb;
                try (Stream<Path> s = Files.list(staging)) {
                    deb = s.filter(p -> p.toString().endsWith(".deb")).findFirst()
                            .orElseThrow(() -> new CannotRunException("apt-get download " + pkg + " left no .deb"));
                }
                Path unpacked = staging.resolve("x");
                exec(staging, Duration.ofMinutes(5), "dpkg-deb", "-x", deb.toString(), unpacked.toString());
                Path target = Files.createDirectories(staging.resolve("kernel"));
                Path vmlinuz;
                try (Stream<Path> s = Files.list(unpacked.resolve("boot"))) {
                    vmlinuz = s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).findFirst()
                            .orElseThrow(() -> new CannotRunException(pkg + " holds no /boot/vmlinuz-*"));
                }
                String release = vmlinuz.getFileName().toString().substring("vmlinuz-".length());
                Files.copy(vmlinuz, target.resolve("vmlinuz"));
                Path moduleRoot = unpacked.resolve("lib/modules").resolve(release);
                for (String m : MODULES) {
                    Path ko = findModule(moduleRoot, m)
                            .orElseThrow(() -> new CannotRunException(pkg + " has no module " + m + ".ko"));
                    Files.copy(ko, target.resolve(m + ".ko"));
                }
                Files.writeString(target.resolve("release"), release);
                Path done = cache.resolve("kernel");
                deleteTree(done);
                Files.move(target, done);
            } finally {
                deleteTree(staging);
            }
            return cachedKernel().orElseThrow(() -> new CannotRunException("the L1 kernel cache in " + cache + " is incomplete"));
        } catch (IOException e) {
            throw new UncheckedIOException("nested-kvm: cannot prepare the L1 kernel: " + e.getMessage(), e);
        }
    }

    private Optional<L1Kernel> cachedKernel() throws IOException {
        Path dir = cache.resolve("kernel");
        if (!Files.isRegularFile(dir.resolve("release")) || !Files.isRegularFile(dir.resolve("vmlinuz"))) {
            return Optional.empty();
        }
        Map<String, Path> modules = new java.util.LinkedHashMap<>();
        for (String m : MODULES) {
            Path ko = dir.resolve(m + ".ko");
            if (!Files.isRegularFile(ko)) {
                return Optional.empty();
            }
            modules.put(m, ko);
        }
        return Optional.of(new L1Kernel(Files.readString(dir.resolve("release")).strip(), dir.resolve("vmlinuz"), modules));
    }

    /** The versioned package behind {@code linux-image-amd64}, e.g. {@code linux-image-6.1.0-57-amd64}. */
    private String kernelPackage() {
        String depends = exec(cache, Duration.ofMinutes(1), "apt-cache", "depends", "linux-image-amd64");
        for (String line : depends.split("\n")) {
            String l = line.strip();
            if (l.startsWith("Depends: linux-image-")) {
                return l.substring("Depends: ".length()).strip();
            }
        }
        throw new CannotRunException("apt-cache knows no linux-image-amd64 here (run apt-get update; the proving ground "
                + "needs Debian's kernel package)");
    }

    private static Optional<Path> findModule(Path root, String name) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.getFileName().toString().equals(name + ".ko")).findFirst();
        }
    }

    /** The script L1 runs in the chroot: the host's environment, the directory, the command, the exit status. */
    static String runScript(String command, Path exitFile) {
        StringBuilder s = new StringBuilder("#!/bin/sh\n");
        for (String name : PASSED_ENVIRONMENT) {
            String value = System.getenv(name);
            if (value != null) {
                s.append("export ").append(name).append('=').append(shellQuote(value)).append('\n');
            }
        }
        s.append("cd ").append(shellQuote(Path.of("").toAbsolutePath().toString())).append(" || exit 125\n");
        s.append("(\n").append(command).append("\n)\n");
        s.append("rc=$?\n");
        s.append("echo $rc > ").append(shellQuote(exitFile.toString())).append('\n');
        s.append("sync\n");
        s.append("exit $rc\n");
        return s.toString();
    }

    /** What the command needs from the host's file system: its directory, the shared tree beside it, the env's paths. */
    static List<Path> neededHostPaths() {
        List<Path> paths = new ArrayList<>();
        Path cwd = Path.of("").toAbsolutePath().normalize();
        paths.add(cwd);
        if (cwd.getParent() != null) {
            paths.add(cwd.getParent().resolve("shared"));
        }
        for (String name : List.of("JKTSTR_KERNEL", "JAVA_HOME", "HOME", "XDG_CACHE_HOME")) {
            String value = System.getenv(name);
            if (value != null && value.startsWith("/")) {
                paths.add(Path.of(value).normalize());
            }
        }
        return paths;
    }

    /** The names directly under /tmp that lead to any of {@code paths} (which L1 must see from the host). */
    static List<String> tmpEntriesToKeep(List<Path> paths) {
        Path tmp = Path.of("/tmp");
        return paths.stream()
                .map(p -> p.toAbsolutePath().normalize())
                .filter(p -> p.startsWith(tmp) && p.getNameCount() > 1)
                .map(p -> p.getName(1).toString())
                .distinct()
                .toList();
    }

    /** L1's /init: modules, the host's / over 9p (no caching: writes reach the host at once), then the chroot. */
    static String initScript(Path runScript, List<String> keptTmpEntries) {
        StringBuilder s = new StringBuilder("#!/bin/busybox sh\n");
        s.append("/bin/busybox --install -s /bin\n");
        s.append("mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev\n");
        for (String m : MODULES) {
            s.append("insmod /modules/").append(m).append(".ko || echo 'nested-kvm: insmod ").append(m).append(" failed'\n");
        }
        s.append("mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 host /host || poweroff -f\n");
        s.append("mount -t proc proc /host/proc; mount -t sysfs sys /host/sys; mount -t devtmpfs dev /host/dev\n");
        // Unix sockets cannot live on 9p (ENXIO): /tmp and /dev/shm are L1's own RAM, except the entries of the
        // host's /tmp the command needs (a checkout under /tmp, the shared kernels beside it), bound back.
        s.append("mkdir -p /hosttmp; mount --bind /host/tmp /hosttmp\n");
        s.append("mount -t tmpfs tmp /host/tmp; mkdir -p /host/dev/shm; mount -t tmpfs shm /host/dev/shm\n");
        for (String entry : keptTmpEntries) {
            String from = shellQuote("/hosttmp/" + entry);
            String to = shellQuote("/host/tmp/" + entry);
            s.append("if [ -d ").append(from).append(" ]; then mkdir -p ").append(to).append("; else touch ").append(to)
                    .append("; fi; mount --bind ").append(from).append(' ').append(to).append('\n');
        }
        s.append("[ -c /host/dev/kvm ] || echo 'nested-kvm: L1 has no /dev/kvm (kvm_amd did not load)'\n");
        s.append("chroot /host /bin/sh ").append(shellQuote(runScript.toString())).append('\n');
        s.append("echo ").append(EXIT_MARKER).append("$?\n");
        s.append("poweroff -f\n");
        return s.toString();
    }

    private void writeInitramfs(Path target, L1Kernel kernel, Path runScript) throws IOException {
        try (OutputStream file = Files.newOutputStream(target);
             InitramfsWriter w = InitramfsWriter.open(file, InitramfsWriter.Compression.GZIP)) {
            for (String dir : List.of("bin", "proc", "sys", "dev", "host", "modules")) {
                w.addDirectory(dir, 0755);
            }
            w.addFile("bin/busybox", Path.of("/bin/busybox"), 0755);
            for (Map.Entry<String, Path> m : kernel.modules().entrySet()) {
                w.addFile("modules/" + m.getKey() + ".ko", m.getValue(), 0644);
            }
            w.addFile("init", initScript(runScript, tmpEntriesToKeep(neededHostPaths())).getBytes(StandardCharsets.UTF_8), 0755);
        }
    }

    List<String> qemuCommand(L1Kernel kernel, Path initramfs) {
        List<String> argv = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", "--",
                "qemu-system-x86_64", "-accel", "tcg,thread=" + (multiThreadedTcg ? "multi" : "single"), "-cpu", "max", "-smp", Integer.toString(cpus),
                "-m", memoryMib + "M", "-nodefaults", "-nographic", "-no-reboot", "-serial", "stdio", "-net", "none",
                "-kernel", kernel.vmlinuz().toString(), "-initrd", initramfs.toString(),
                "-append", "console=ttyS0 quiet panic=-1",
                "-virtfs", "local,path=/,mount_tag=host,security_model=none,multidevs=remap"));
        return argv;
    }

    private int boot(L1Kernel kernel, Path initramfs, Path exitFile, Duration timeout, OutputStream out) throws IOException {
        List<String> argv = qemuCommand(kernel, initramfs);
        progress.println("nested-kvm: booting L1 (" + kernel.release() + ", TCG " + (multiThreadedTcg ? "multi" : "single") + "-threaded, -cpu max, " + cpus + " CPUs, " + memoryMib
                + " MiB) with the host's / over 9p; limit " + timeout.toSeconds() + " s");
        Process qemu = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        qemu.getOutputStream().close();
        Thread pump = Thread.ofPlatform().daemon().name("nested-kvm-console").start(() -> copy(qemu.getInputStream(), out));
        try {
            boolean finished = qemu.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                qemu.destroyForcibly();
                qemu.waitFor(10, TimeUnit.SECONDS);
                pump.join(2000);
                progress.println("nested-kvm: the command ran past " + timeout.toSeconds() + " s; L1 killed");
                return TIMED_OUT;
            }
            pump.join(5000);
        } catch (InterruptedException e) {
            qemu.destroyForcibly();
            Thread.currentThread().interrupt();
            return TIMED_OUT;
        }
        if (Files.isRegularFile(exitFile)) {
            String text = Files.readString(exitFile).strip();
            try {
                return Integer.parseInt(text);
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        progress.println("nested-kvm: L1 stopped (QEMU exit " + qemu.exitValue() + ") without the command's exit status");
        return 1;
    }

    private static void copy(InputStream in, OutputStream out) {
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // QEMU went away
        }
    }

    private Path createRunDirectory() throws IOException {
        Path runs = Files.createDirectories(cache.resolve("runs"));
        return Files.createTempDirectory(runs, ProcessHandle.current().pid() + "-");
    }

    /** Removes run directories whose JVM is gone (a killed run leaves its directory behind). */
    void sweepStaleRuns() {
        Path runs = cache.resolve("runs");
        if (!Files.isDirectory(runs)) {
            return;
        }
        try (Stream<Path> s = Files.list(runs)) {
            for (Path dir : s.toList()) {
                String name = dir.getFileName().toString();
                int dash = name.indexOf('-');
                long pid = dash > 0 ? parsePid(name.substring(0, dash)) : -1;
                if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                deleteTree(dir);
            }
        } catch (IOException e) {
            // best effort
        }
    }

    private static long parsePid(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String exec(Path dir, Duration limit, String... argv) {
        try {
            Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new CannotRunException(String.join(" ", argv) + " took longer than " + limit.toSeconds() + " s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new CannotRunException(String.join(" ", argv) + " failed (exit " + p.exitValue() + "): " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new CannotRunException("cannot run " + argv[0] + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CannotRunException("interrupted while running " + argv[0]);
        }
    }

    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static void deleteTree(Path root) {
        dev.jktstr.machine.RunDirectory.deleteTree(root);
    }
}
