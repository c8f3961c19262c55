package dev.jktstr.kconfig;

import dev.jktstr.machine.HostTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Builds the example sched_ext schedulers from a kernel tree's {@code tools/sched_ext} (with the
 * tree's own libbpf and bpftool, BPF code by clang) against a vmlinux's BTF, then relinks them
 * statically so they run in a bare initramfs.
 */
public final class SchedulerBuild {

    /** The schedulers built into every cache entry, under {@code schedulers/}. */
    public static final List<String> SCHEDULERS = List.of("scx_simple", "scx_qmap");
    public static final String DIRECTORY = "schedulers";
    static final String DEPENDENCIES = "apt-get install clang-19 llvm-19 libelf-dev zlib1g-dev libzstd-dev";

    private static final List<String> CLANGS = List.of("clang-19", "clang");
    private static final List<String> STRIPS = List.of("llvm-strip-19", "llvm-strip");
    private static final List<Path> STATIC_LIBS = List.of(Path.of("/usr/lib/x86_64-linux-gnu/libelf.a"),
            Path.of("/usr/lib/x86_64-linux-gnu/libz.a"), Path.of("/usr/lib/x86_64-linux-gnu/libzstd.a"));

    private final Consumer<String> progress;

    public SchedulerBuild(Consumer<String> progress) {
        this.progress = progress;
    }

    /**
     * Builds {@link #SCHEDULERS} from {@code tree} against {@code vmlinux} (which must carry .BTF)
     * into {@code entry/schedulers/}, using {@code workDir} for objects.
     */
    public List<Path> build(Path tree, Path vmlinux, Path entry, Path workDir, int jobs) throws IOException {
        checkTools();
        // By name: make finds them on the same PATH.
        String clang = HostTools.onPath().findFirst(CLANGS).orElseThrow().getFileName().toString();
        String strip = HostTools.onPath().findFirst(STRIPS).orElseThrow().getFileName().toString();
        Path sources = tree.resolve("tools/sched_ext");
        if (!Files.isRegularFile(sources.resolve("Makefile"))) {
            throw new KconfigException(tree + " has no tools/sched_ext: sched_ext needs Linux 6.12 or newer");
        }
        progress.accept("building sched_ext schedulers " + String.join(", ", SCHEDULERS));
        Files.createDirectories(workDir); // tools' Makefiles insist that O= exists
        List<String> make = new ArrayList<>(List.of("make", "-C", sources.toString(), "-j" + jobs,
                "O=" + workDir, "CC=gcc", "CLANG=" + clang, "LLVM_STRIP=" + strip, "VMLINUX_BTF=" + vmlinux));
        make.addAll(SCHEDULERS);
        Commands.run(make, sources, line -> {});
        Path out = Files.createDirectories(entry.resolve(DIRECTORY));
        Path objects = workDir.resolve("build/obj");
        List<Path> built = new ArrayList<>();
        for (String name : SCHEDULERS) {
            Path binary = out.resolve(name);
            // The Makefile links libelf and zlib dynamically; a bare initramfs has no loader.
            Commands.run(List.of("gcc", "-static", "-o", binary.toString(),
                    objects.resolve("sched_ext/" + name + ".o").toString(),
                    objects.resolve("libbpf/libbpf.a").toString(), "-lelf", "-lz", "-lzstd", "-lpthread"),
                    workDir, line -> {});
            Commands.run(List.of("strip", binary.toString()), workDir, line -> {});
            built.add(binary);
        }
        return built;
    }

    /** The scheduler binaries a kernel directory carries, by name. */
    public static List<String> available(Path kernelDirectory) {
        Path dir = kernelDirectory.resolve(DIRECTORY);
        return SCHEDULERS.stream().filter(n -> Files.isExecutable(dir.resolve(n))).toList();
    }

    /** What the scheduler build lacks here, each as a tool or file name; empty when ready. */
    static List<String> missingTools() {
        List<String> missing = new ArrayList<>();
        if (HostTools.onPath().findFirst(CLANGS).isEmpty()) {
            missing.add("clang-19");
        }
        if (HostTools.onPath().findFirst(STRIPS).isEmpty()) {
            missing.add("llvm-strip-19");
        }
        STATIC_LIBS.stream().filter(l -> !Files.isRegularFile(l)).forEach(l -> missing.add(l.toString()));
        return missing;
    }

    static void checkTools() {
        List<String> missing = missingTools();
        if (!missing.isEmpty()) {
            throw new KconfigException("cannot build the sched_ext schedulers: missing " + String.join(", ", missing)
                    + "; install them with: " + DEPENDENCIES);
        }
    }
}
