package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.guest.GuestSession;
import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.btf.elf.Elf;
import dev.jktstr.btf.elf.ElfProgramHeader;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.kconfig.CacheEntry;
import dev.jktstr.kconfig.ConfigFragment;
import dev.jktstr.kconfig.KernelBuild;
import dev.jktstr.kconfig.KernelCache;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.kconfig.KernelLookup;
import dev.jktstr.kconfig.KernelSource;
import dev.jktstr.kconfig.SchedulerBuild;
import dev.jktstr.machine.MachineBackends;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The kconfig issue's end-to-end check: a kernel built from Debian's linux-source-6.12 with
 * jktstr.kconfig boots under the qemu backend with sched_ext available, and the scx_simple built
 * from the same tree, found by name, loads on it. Slow (about 15 minutes of
 * make on 2 cores), so the build runs only where no cache entry for this fragment exists and the
 * run is CI ({@code CI=true}) or asked for ({@code JKTSTR_KERNEL_BUILD=1}); otherwise the cached
 * kernel is booted, or the test is skipped saying how to get one.
 */
@Tag("slow")
@BootsVm
class KernelBuildAndBootTest {

    private static final ConfigFragment NO_EXTRA = ConfigFragment.parse("", "no extra options");

    @Test
    void debianKernelBuiltWithTheFragmentBootsWithSchedExt() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")),
                "qemu-system-x86_64 is missing: apt-get install qemu-system-x86");
        KernelCache cache = KernelCache.userDefault();
        CacheEntry entry = cached(cache).orElseGet(() -> {
            assumeTrue(buildAllowed(), "no kernel built from this jktstr.kconfig in " + cache.root()
                    + ": run `jktstr kernel build --debian` (about 15 minutes), or set JKTSTR_KERNEL_BUILD=1"
                    + " to let this test build it");
            KernelBuild build = new KernelBuild(cache, KernelBuild.defaultWorkRoot(), System.out::println);
            return build.build(new KernelBuild.Request(KernelSource.debian(), NO_EXTRA,
                    Runtime.getRuntime().availableProcessors(), false));
        });
        assertThat(entry.directory().resolve(CacheEntry.VMLINUX)).isRegularFile();
        assertThat(entry.directory().resolve(CacheEntry.SYSTEM_MAP)).isRegularFile();
        KernelImage kernel = KernelLookup.resolve(entry.directory().toString());
        assertThat(kernel.schedulers()).containsExactlyElementsOf(SchedulerBuild.SCHEDULERS);
        for (String name : kernel.schedulers()) {
            try (Elf elf = Elf.open(kernel.scheduler(name))) {
                assertThat(elf.programHeaders()).as("%s must be static", name)
                        .noneMatch(h -> h.type() == ElfProgramHeader.PT_INTERP);
            }
        }
        runsTheBuiltScheduler(kernel);

        RunCommandTest.Run r = RunCommandTest.jktstrWithStdout("shell", "--kernel", entry.directory().toString(),
                "--topology", "1,1,2,1", "--exec", "cat /sys/kernel/sched_ext/state && uname -r");
        assertThat(r.exit()).as("exit status; stderr: %s", r.err()).isZero();
        assertThat(r.out()).contains("disabled").contains(entry.metadata().release());
    }

    /** The kernel's own scx_simple, found by name, loads on it: state enabled, ops simple, then disabled. */
    private static void runsTheBuiltScheduler(KernelImage kernel) {
        try (GuestImage image = GuestImage.builder().withBusybox(true)
                        .addBinary(kernel.scheduler("scx_simple"), "/bin/scx_simple").build()) {
            MachineSpec spec = MachineSpec.builder(kernel.image()).initramfs(image.initramfs())
                    .topology(new Topology(1, 1, 2, 1)).memoryPerNodeMib(512).commandLine("quiet").build();
            try (GuestSession guest = GuestSession.boot(MachineBackends.fastestFor(spec), spec, Duration.ofMinutes(2))) {
                ExecResult r = guest.agent().exec(List.of("/bin/sh", "-c", "scx_simple >/tmp/scx.log 2>&1 & pid=$!; "
                                + "for i in $(seq 100); do [ \"$(cat /sys/kernel/sched_ext/state)\" = enabled ] && break;"
                                + " sleep 0.2; done; cat /sys/kernel/sched_ext/state /sys/kernel/sched_ext/root/ops;"
                                + " kill -INT $pid; wait $pid; cat /sys/kernel/sched_ext/state"),
                        Map.of(), Duration.ofSeconds(90));
                assertThat(r.stdoutText().lines()).as("scx_simple run: %s", r).containsExactly("enabled", "simple", "disabled");
            }
        }
    }

    private static Optional<CacheEntry> cached(KernelCache cache) {
        String fragment = ConfigFragment.shipped().hash();
        return cache.list().stream()
                .filter(e -> e.metadata().fragmentHash().equals(fragment))
                .filter(e -> e.metadata().extraKconfigHash().equals(NO_EXTRA.hash()))
                .filter(e -> e.metadata().source().startsWith("debian:" + KernelSource.DEBIAN_PACKAGE + "="))
                .findFirst();
    }

    private static boolean buildAllowed() {
        return "true".equals(System.getenv("CI")) || "1".equals(System.getenv("JKTSTR_KERNEL_BUILD"));
    }
}
