package dev.jktstr.kconfig;

import dev.jktstr.machine.HostTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Builds a sched_ext test kernel: defconfig + kvm_guest.config + jktstr's fragment + the user's
 * extra options (user wins) + olddefconfig, verified, then {@code make bzImage} and the example
 * schedulers from the same tree ({@link SchedulerBuild}), stored in the {@link KernelCache}. Builds out of tree, so the source stays clean; the build directory is
 * removed afterwards.
 */
public final class KernelBuild {

    /** Build steps of the last build, to size the progress estimate of the next one. */
    private static final String STEP_ESTIMATE_FILE = "last-build-steps";
    private static final long DEFAULT_STEP_ESTIMATE = 3600;
    private static final List<String> TOOLS = List.of("make", "gcc", "flex", "bison", "bc", "pahole", "objcopy", "tar");
    private static final List<Path> HEADERS = List.of(Path.of("/usr/include/gelf.h"),
            Path.of("/usr/include/openssl/opensslv.h"));
    static final String BUILD_DEPENDENCIES = "apt-get install build-essential flex bison bc libelf-dev libssl-dev dwarves";

    private final KernelCache cache;
    private final Path workRoot;
    private final Consumer<String> progress;
    private final SchedulerBuild schedulers;

    public KernelBuild(KernelCache cache, Path workRoot, Consumer<String> progress) {
        this.cache = cache;
        this.workRoot = workRoot.toAbsolutePath().normalize();
        this.progress = progress;
        this.schedulers = new SchedulerBuild(progress);
    }

    /** Next to the cache: {@code ~/.cache/jktstr/work}. */
    public static Path defaultWorkRoot() {
        return KernelCache.defaultRoot().resolveSibling("work");
    }

    /** Removes unpacked sources and leftovers of interrupted builds. */
    public static void cleanWorkRoot(Path workRoot) {
        KernelCache.deleteTree(workRoot);
    }

    public record Request(KernelSource source, ConfigFragment extra, int jobs, boolean force) {}

    public CacheEntry build(Request request) {
        checkTools();
        Instant started = Instant.now();
        KernelSource.PreparedSource source = request.source().prepare(workRoot, progress);
        Path buildDir = workRoot.resolve("build-" + Long.toHexString(System.nanoTime()));
        try {
            Files.createDirectories(buildDir);
            ConfigFragment fragment = ConfigFragment.shipped();
            ConfigFragment wanted = configure(source.tree(), buildDir, fragment, request.extra());
            String release = Commands.output(make(source.tree(), buildDir, "-s", "kernelrelease"), source.tree());
            String key = KernelCache.key(release, source.identity(), fragment, request.extra());
            Optional<CacheEntry> cached = cache.find(key);
            if (cached.isPresent() && !request.force()) {
                progress.accept("kernel " + key + " is already in the cache (use --force to rebuild)");
                return withSchedulers(cached.get(), source.tree(), buildDir, request.jobs());
            }
            compile(source.tree(), buildDir, request.jobs());
            KernelMetadata metadata = new KernelMetadata(key, release, source.identity(), fragment.hash(),
                    request.extra().hash(), Instant.now(), Duration.between(started, Instant.now()).toSeconds());
            progress.accept("storing " + key + " in " + cache.root());
            CacheEntry entry = cache.store(metadata, dir -> {
                storeArtifacts(buildDir, dir, wanted);
                schedulers.build(source.tree(), buildDir.resolve("vmlinux"), dir, buildDir.resolve("sched_ext"),
                        request.jobs());
            });
            progress.accept("built " + release + " in " + metadata.buildSeconds() + " s: " + entry.directory());
            return entry;
        } catch (IOException e) {
            throw new KconfigException("kernel build failed: " + e.getMessage(), e);
        } finally {
            progress.accept("removing build directory " + buildDir);
            KernelCache.deleteTree(buildDir);
        }
    }

    /**
     * A cached entry from before schedulers were part of the build gets them now, built against
     * its stored vmlinux (which keeps .BTF) and stored as a replacement entry.
     */
    private CacheEntry withSchedulers(CacheEntry entry, Path tree, Path workDir, int jobs) {
        if (SchedulerBuild.available(entry.directory()).size() == SchedulerBuild.SCHEDULERS.size()) {
            return entry;
        }
        return cache.store(entry.metadata(), dir -> {
            try (var files = Files.list(entry.directory())) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    Files.copy(f, dir.resolve(f.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
            Files.deleteIfExists(dir.resolve(CacheEntry.METADATA));
            schedulers.build(tree, entry.directory().resolve(CacheEntry.VMLINUX), dir, workDir.resolve("sched_ext"), jobs);
        });
    }

    /** Writes and resolves the .config, then checks that what jktstr needs took effect. */
    ConfigFragment configure(Path tree, Path buildDir, ConfigFragment fragment, ConfigFragment extra)
            throws IOException {
        progress.accept("configuring: defconfig + kvm_guest.config + " + fragment.origin()
                + (extra.values().isEmpty() ? "" : " + " + extra.origin()));
        Commands.run(make(tree, buildDir, "defconfig"), tree, line -> {});
        Commands.run(make(tree, buildDir, "kvm_guest.config"), tree, line -> {});
        Path dotConfig = buildDir.resolve(".config");
        ConfigFragment base = ConfigFragment.read(dotConfig);
        ConfigFragment wanted = fragment.mergedWith(extra);
        Files.writeString(dotConfig, base.mergedWith(wanted).render(), StandardCharsets.UTF_8);
        Commands.run(make(tree, buildDir, "olddefconfig"), tree, line -> {});
        verify(wanted, ConfigFragment.read(dotConfig));
        return wanted;
    }

    /** Fails naming every critical option olddefconfig dropped; reports the others. */
    void verify(ConfigFragment wanted, ConfigFragment resolved) {
        List<String> critical = wanted.unmetIn(resolved, true);
        if (!critical.isEmpty()) {
            throw new KconfigException("the kernel configuration lacks options jktstr needs (their dependencies"
                    + " are not met in this source tree or were overridden):\n  " + String.join("\n  ", critical));
        }
        List<String> others = new ArrayList<>(wanted.unmetIn(resolved, false));
        if (!others.isEmpty()) {
            progress.accept("note: olddefconfig changed " + others.size() + " non-critical option(s): "
                    + String.join("; ", others));
        }
    }

    private void compile(Path tree, Path buildDir, int jobs) throws IOException {
        Path estimateFile = workRoot.resolve(STEP_ESTIMATE_FILE);
        long estimate = DEFAULT_STEP_ESTIMATE;
        if (Files.isRegularFile(estimateFile)) {
            try {
                estimate = Long.parseLong(Files.readString(estimateFile).strip());
            } catch (NumberFormatException ignored) {
                // a damaged estimate only affects the percentage shown
            }
        }
        progress.accept("building bzImage with make -j" + jobs + " (about 15 minutes on 2 cores)");
        MakeProgress steps = new MakeProgress(progress, estimate, Duration.ofSeconds(5));
        Commands.run(make(tree, buildDir, "-j" + jobs, "bzImage"), tree, steps);
        Files.writeString(estimateFile, Long.toString(steps.steps()));
    }

    private void storeArtifacts(Path buildDir, Path entry, ConfigFragment wanted) throws IOException {
        Files.copy(buildDir.resolve("arch/x86/boot/bzImage"), entry.resolve(CacheEntry.IMAGE));
        Files.copy(buildDir.resolve("System.map"), entry.resolve(CacheEntry.SYSTEM_MAP));
        Files.copy(buildDir.resolve(".config"), entry.resolve(CacheEntry.CONFIG));
        Files.writeString(entry.resolve("jktstr.kconfig"), wanted.render(), StandardCharsets.UTF_8);
        // Debug info is 10x the rest; .BTF and .symtab are what introspection reads.
        Commands.run(List.of("objcopy", "--strip-debug", buildDir.resolve("vmlinux").toString(),
                entry.resolve(CacheEntry.VMLINUX).toString()), buildDir, line -> {});
    }

    private static List<String> make(Path tree, Path buildDir, String... args) {
        List<String> command = new ArrayList<>(List.of("make", "-C", tree.toString(), "O=" + buildDir));
        command.addAll(List.of(args));
        return command;
    }

    /** Every missing build tool or header at once (schedulers' too), with the command that installs them. */
    static void checkTools() {
        List<String> missing = new ArrayList<>();
        TOOLS.stream().filter(t -> HostTools.onPath().find(t).isEmpty()).forEach(missing::add);
        HEADERS.stream().filter(h -> !Files.isRegularFile(h)).forEach(h -> missing.add(h.toString()));
        List<String> schedulerTools = SchedulerBuild.missingTools();
        missing.addAll(schedulerTools);
        if (!missing.isEmpty()) {
            throw new KconfigException("cannot build a kernel: missing " + String.join(", ", missing)
                    + "; install them with: " + BUILD_DEPENDENCIES
                    + (schedulerTools.isEmpty() ? "" : " && " + SchedulerBuild.DEPENDENCIES));
        }
    }
}
