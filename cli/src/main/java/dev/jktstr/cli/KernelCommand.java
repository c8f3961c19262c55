package dev.jktstr.cli;

import dev.jktstr.kconfig.CacheEntry;
import dev.jktstr.kconfig.ConfigFragment;
import dev.jktstr.kconfig.KernelBuild;
import dev.jktstr.kconfig.KernelCache;
import dev.jktstr.kconfig.KernelSource;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jktstr kernel build|list|clean}: test kernels in the user cache. */
@Command(name = "kernel", mixinStandardHelpOptions = true,
        description = "Build, list and clean sched_ext test kernels in the cache ("
                + "$XDG_CACHE_HOME/jktstr/kernels).",
        subcommands = {KernelCommand.Build.class, KernelCommand.ListEntries.class, KernelCommand.Clean.class})
final class KernelCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = {"Builds a kernel: defconfig + kvm_guest.config + jktstr.kconfig + --extra-kconfig"
                    + " (yours wins) + olddefconfig, checks the options jktstr needs, runs make bzImage and"
                    + " stores image, System.map, config and a debug-stripped vmlinux in the cache.",
                    "About 15 minutes on 2 cores."})
    static final class Build implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @ArgGroup(multiplicity = "1")
        SourceChoice source;

        static final class SourceChoice {
            @Option(names = "--source", paramLabel = "DIR", description = "A Linux source tree (left clean: the build is out of tree).")
            Path directory;

            @Option(names = "--debian", description = "Debian's linux-source-6.12 package (installed with apt-get if missing).")
            boolean debian;
        }

        @Option(names = "--extra-kconfig", paramLabel = "FILE", description = "Your own Kconfig fragment, applied last.")
        Path extra;

        @Option(names = {"-j", "--jobs"}, description = "Parallel make jobs (default: the number of CPUs).")
        int jobs = Runtime.getRuntime().availableProcessors();

        @Option(names = "--force", description = "Rebuild even when the cache has this kernel.")
        boolean force;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            KernelSource kernelSource = source.debian ? KernelSource.debian() : KernelSource.directory(source.directory);
            ConfigFragment extraFragment = extra == null ? ConfigFragment.parse("", "no extra options")
                    : ConfigFragment.read(extra);
            KernelBuild build = new KernelBuild(KernelCache.userDefault(), KernelBuild.defaultWorkRoot(), line -> {
                err.println(line);
                err.flush();
            });
            CacheEntry entry = build.build(new KernelBuild.Request(kernelSource, extraFragment, Math.max(1, jobs), force));
            spec.commandLine().getOut().println(entry.directory());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists cached kernels, newest first.")
    static final class ListEntries implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            List<CacheEntry> entries = KernelCache.userDefault().list();
            if (entries.isEmpty()) {
                out.println("no kernels in " + KernelCache.defaultRoot()
                        + " (build one: jktstr kernel build --debian)");
                return 0;
            }
            String current = ConfigFragment.shipped().hash();
            for (CacheEntry e : entries) {
                out.printf("%-32s %-10s %s  %s%s%n", e.key(), e.metadata().release(), e.metadata().builtAt(),
                        e.metadata().source(), e.metadata().fragmentHash().equals(current) ? "" : "  (older fragment)");
            }
            return 0;
        }
    }

    @Command(name = "clean", mixinStandardHelpOptions = true,
            description = "Removes cached kernels: the keys given, --stale (built from an older fragment) or --all.")
    static final class Clean implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "KEY", arity = "0..*", description = "Cache keys, as 'jktstr kernel list' shows them.")
        List<String> keys = List.of();

        @Option(names = "--stale", description = "Entries built from another jktstr.kconfig than this version's.")
        boolean stale;

        @Option(names = "--all", description = "Every entry.")
        boolean all;

        @Option(names = "--sources", description = "The unpacked kernel sources and build leftovers in "
                + "~/.cache/jktstr/work (kept between builds so a rebuild skips the unpack).")
        boolean sources;

        @Override
        public Integer call() {
            if (!all && !stale && !sources && keys.isEmpty()) {
                throw new IllegalArgumentException("say what to remove: KEY..., --stale, --all or --sources");
            }
            if (sources) {
                KernelBuild.cleanWorkRoot(KernelBuild.defaultWorkRoot());
                spec.commandLine().getOut().println("removed " + KernelBuild.defaultWorkRoot());
            }
            String current = ConfigFragment.shipped().hash();
            Set<String> wanted = Set.copyOf(keys);
            List<CacheEntry> removed = KernelCache.userDefault().clean(e -> all || wanted.contains(e.key())
                    || (stale && !e.metadata().fragmentHash().equals(current)));
            removed.forEach(e -> spec.commandLine().getOut().println("removed " + e.directory()));
            Set<String> unknown = new java.util.TreeSet<>(wanted);
            removed.forEach(e -> unknown.remove(e.key()));
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("no cached kernel with key " + String.join(", ", unknown)
                        + " (see jktstr kernel list)");
            }
            if (removed.isEmpty() && !sources) {
                spec.commandLine().getOut().println("nothing to remove");
            }
            return 0;
        }
    }
}
