package dev.jktstr.scenario;

import dev.jktstr.guest.Include;
import dev.jktstr.guest.SnapshotStore;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.kconfig.KernelLookup;
import dev.jktstr.kconfig.KernelNotFoundException;
import dev.jktstr.machine.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What to boot for a scenario: {@code Vm.builder().topology(1, 1, 2, 1).scheduler(Scheduler.eevdf()).boot()}.
 * Defaults: the kernel {@code KernelLookup.standard()} finds, topology 1,1,2,1, 512 MiB per NUMA node
 * ({@code memoryMib} is per node: the guest has {@code memoryMib * numaNodes}), EEVDF, runs of
 * 5 s, the fastest backend ({@code MachineBackends.fastestFor}), 120 s for the guest to boot. {@code thresholds} is
 * the test's layer only ({@link ThresholdLayers}: defaults and the scheduler's preset lie below it).
 *
 * @param memoryMib RAM per NUMA node in MiB, not for the whole guest
 * @param includes  host files and directories put into the guest's initramfs ({@link Builder#include})
 */
public record Vm(Optional<Path> kernel, Topology topology, long memoryMib, Scheduler scheduler, Duration duration,
        Optional<String> backend, String commandLine, Duration bootTimeout, Assert thresholds, boolean snapshot,
        long scratchDiskMib, List<Include> includes) {

    /** The scratch disk {@link #run(Scenario)} attaches when a scenario's work does block I/O and none was asked for. */
    public static final long DEFAULT_SCRATCH_DISK_MIB = 64;
    static final long MAX_SCRATCH_DISK_MIB = 16384;

    public Vm {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(topology, "topology");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(thresholds, "thresholds");
        if (duration == null || duration.isNegative() || duration.isZero()) {
            throw new InvalidScenarioException("duration", "must be positive, got " + duration);
        }
        if (memoryMib < 64) {
            throw new InvalidScenarioException("memoryMib", "must be at least 64 MiB, got " + memoryMib);
        }
        if (bootTimeout == null || bootTimeout.isNegative() || bootTimeout.isZero()) {
            throw new InvalidScenarioException("bootTimeout", "must be positive, got " + bootTimeout);
        }
        if (scratchDiskMib < 0 || scratchDiskMib > MAX_SCRATCH_DISK_MIB) {
            throw new InvalidScenarioException("scratchDiskMib", "must be within 0.." + MAX_SCRATCH_DISK_MIB
                    + " (0 = no disk), got " + scratchDiskMib);
        }
        commandLine = commandLine == null ? "" : commandLine;
        includes = includes == null ? List.of() : List.copyOf(includes);
        for (Include i : includes) {
            try {
                i.check();
            } catch (IllegalArgumentException e) {
                throw new InvalidScenarioException("include", e.getMessage());
            }
        }
        if (scheduler instanceof Scheduler.Binary b) {
            b.validate();
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Boots the guest, starts the scheduler and returns the context scenarios run in. */
    public Ctx boot() {
        return Ctx.boot(this);
    }

    /**
     * Checks {@code scenario} against this VM's topology ({@link Scenario#stepsFor}) without booting: what
     * {@link #run(Scenario)} does first. Returns this VM.
     */
    public Vm validate(Scenario scenario) {
        List<Step> steps = scenario.stepsFor(topology);
        if (scratchDiskMib == 0) {
            diskUser(steps).ifPresent(field -> {
                throw new InvalidScenarioException(field, "block I/O needs a scratch disk and this VM has none"
                        + " (Vm.builder().scratchDisk(MiB); Vm.run adds one by itself)");
            });
        }
        return this;
    }

    /** The field of the first work in {@code steps} that does block I/O, if any. */
    static Optional<String> diskUser(List<Step> steps) {
        for (int i = 0; i < steps.size(); i++) {
            List<Op> ops = steps.get(i).ops();
            for (int j = 0; j < ops.size(); j++) {
                WorkType w = switch (ops.get(j)) {
                    case Op.AddCgroup a -> a.def().work();
                    case Op.Spawn sp -> sp.work();
                    default -> null;
                };
                if (w != null && w.needsDisk()) {
                    return Optional.of("steps[" + i + "].ops[" + j + "].work");
                }
            }
        }
        return Optional.empty();
    }

    /** This VM with a scratch disk of {@code mib} (0 = none). */
    public Vm withScratchDisk(long mib) {
        return new Vm(kernel, topology, memoryMib, scheduler, duration, backend, commandLine, bootTimeout, thresholds,
                snapshot, mib, includes);
    }

    /**
     * Whether this VM starts from a snapshot: when asked ({@link Builder#snapshot}) and it has no scratch disk — a
     * disk is a device the saved state does not have, so a VM with one always boots cold.
     */
    public boolean usesSnapshot() {
        return snapshot && scratchDiskMib == 0;
    }

    /**
     * Validates {@code scenario} against this VM ({@link #validate(Scenario)}: an invalid one is refused before
     * anything boots), then boots, runs it and powers off.
     */
    public RunResult run(Scenario scenario) {
        Vm vm = scratchDiskMib == 0 && diskUser(scenario.stepsFor(topology)).isPresent()
                ? withScratchDisk(DEFAULT_SCRATCH_DISK_MIB) : this; // I/O work gets its disk without asking
        vm.validate(scenario);
        try (Ctx ctx = vm.boot()) {
            return Scenarios.run(ctx, scenario);
        }
    }

    /**
     * The kernel this VM boots, looked up without booting: {@link #kernel()}, else the {@value Ctx#KERNEL_PROPERTY}
     * system property, else {@code KernelLookup.standard()} ({@code JKTSTR_KERNEL}, the kernel cache, {@code ./linux},
     * {@code ../linux}, {@code /boot}).
     *
     * @throws ScenarioException "kernel: …" with every place tried when there is none, and the API's ways to name
     *     one ({@link #KERNEL_ADVICE}), caused by the lookup's {@code KernelNotFoundException}
     */
    public KernelImage kernelImage() {
        try {
            // The system property lets test harnesses (and the README's snippet test) point at a kernel without
            // an environment variable; otherwise the standard lookup decides.
            String property = System.getProperty(Ctx.KERNEL_PROPERTY, "");
            return kernel.map(p -> KernelLookup.resolve(p.toString()))
                    .orElseGet(() -> property.isEmpty() ? KernelLookup.standard().find() : KernelLookup.resolve(property));
        } catch (KernelNotFoundException e) {
            throw new ScenarioException("kernel: " + e.withAdvice(KERNEL_ADVICE), e);
        } catch (RuntimeException e) {
            throw new ScenarioException("kernel: " + e.getMessage(), e);
        }
    }

    /** How a Java user names a kernel (the CLI, which has its own flags, words its own advice from the cause). */
    public static final String KERNEL_ADVICE = "Name one with Vm.builder().kernel(path), the system property "
            + Ctx.KERNEL_PROPERTY + " (-D" + Ctx.KERNEL_PROPERTY + "=DIR) or the environment variable JKTSTR_KERNEL,"
            + " each a kernel directory (bzImage, System.map, vmlinux) or a bzImage.";

    public static final class Builder {
        private Path kernel;
        private Topology topology = new Topology(1, 1, 2, 1);
        private long memoryMib = 512;
        private Scheduler scheduler = Scheduler.eevdf();
        private Duration duration = Duration.ofSeconds(5);
        private String backend;
        private String commandLine = "quiet";
        private Duration bootTimeout = Duration.ofSeconds(120);
        private boolean snapshot = SnapshotStore.enabledByDefault();
        private Assert thresholds = Assert.none();
        private long scratchDiskMib;
        private final java.util.List<Include> includes = new java.util.ArrayList<>();

        /**
         * Puts the host file or directory {@code host} into the guest's initramfs at {@code guestPath} (a directory
         * whole: files with their executable bit, directories, links); a missing one is refused when the VM is
         * built, naming it. Included files are part of the image, so of a snapshot's key too.
         */
        public Builder include(Path host, String guestPath) {
            return include(() -> new Include(host, guestPath));
        }

        /** {@link #include(Path, String)} at {@value Include#DEFAULT_DIR}/its name, a directory on the guest's PATH. */
        public Builder include(Path host) {
            return include(() -> Include.of(host));
        }

        private Builder include(java.util.function.Supplier<Include> include) {
            try {
                includes.add(include.get());
            } catch (IllegalArgumentException e) {
                throw new InvalidScenarioException("include", e.getMessage());
            }
            return this;
        }

        /**
         * A sparse scratch disk of {@code mib} for the I/O work types (virtio-blk: /dev/vda in the guest), deleted when
         * the VM closes; 0 = none (the default).
         */
        public Builder scratchDisk(long mib) {
            this.scratchDiskMib = mib;
            return this;
        }

        /** A kernel directory (bzImage, System.map, config) or image. */
        public Builder kernel(Path dirOrImage) {
            this.kernel = dirOrImage;
            return this;
        }

        public Builder topology(Topology t) {
            this.topology = t;
            return this;
        }

        public Builder topology(int numaNodes, int llcsPerNode, int coresPerLlc, int threadsPerCore) {
            try {
                return topology(new Topology(numaNodes, llcsPerNode, coresPerLlc, threadsPerCore));
            } catch (RuntimeException e) {
                throw new InvalidScenarioException("topology", e.getMessage());
            }
        }

        /**
         * RAM <em>per NUMA node</em> in MiB (default 512): a topology of 2 nodes with {@code memoryMib(512)} boots
         * with 1 GiB. At least 64.
         */
        public Builder memoryMib(long mib) {
            this.memoryMib = mib;
            return this;
        }

        public Builder scheduler(Scheduler s) {
            this.scheduler = s;
            return this;
        }

        /** The run time that step holds are fractions of. */
        public Builder duration(Duration d) {
            this.duration = d;
            return this;
        }

        /** A backend by name ({@code qemu}, {@code qemu:tcg}); default: the fastest that can boot the spec. */
        public Builder backend(String name) {
            this.backend = name;
            return this;
        }

        public Builder commandLine(String extra) {
            this.commandLine = extra;
            return this;
        }

        /**
         * Whether to start from a snapshot of this configuration in the user cache, saving one after a cold boot
         * (GuestSession); default {@link SnapshotStore#enabledByDefault()} ({@code -Djktstr.snapshot=true} or
         * {@code JKTSTR_SNAPSHOT=1}), so every {@code Vm} and {@code @JktstrTest} of one configuration shares one.
         */
        public Builder snapshot(boolean use) {
            this.snapshot = use;
            return this;
        }

        public Builder bootTimeout(Duration d) {
            this.bootTimeout = d;
            return this;
        }

        /**
         * The test's thresholds: the top layer over the defaults and the scheduler's preset ({@link ThresholdPresets});
         * several calls stack.
         */
        public Builder thresholds(Assert layer) {
            this.thresholds = this.thresholds.overlay(layer);
            return this;
        }

        public Vm build() {
            return new Vm(Optional.ofNullable(kernel), topology, memoryMib, scheduler, duration,
                    Optional.ofNullable(backend).filter(s -> !s.isEmpty()), commandLine, bootTimeout, thresholds, snapshot,
                    scratchDiskMib, includes);
        }

        public Ctx boot() {
            return build().boot();
        }
    }
}
