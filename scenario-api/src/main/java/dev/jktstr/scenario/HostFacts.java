package dev.jktstr.scenario;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the host was like for a run: how many CPUs the JVM saw and its load average when the run started (a run on a
 * loaded host is slower and noisier: results compare fairly only with that known), the backend, what /dev/kvm is,
 * and how much the host took from the run's vCPUs while it ran.
 *
 * @param cores host CPUs available to this JVM
 * @param loadAverage1m the host's 1-minute load average at the start, NaN where the OS has none
 * @param backend the Machine backend that ran the guest ({@code qemu:tcg}, {@code qemu:kvm}, {@code kvm})
 * @param kvm {@code none} (no usable /dev/kvm), {@code pvm} (module kvm_pvm loaded: Linux does not boot on our VMM)
 *            or {@code kvm}; the kvm module's {@code jktstr doctor} tells hardware from nested
 * @param interference what the host took from the vCPUs over the run ({@link HostInterference#UNKNOWN} before it ends)
 */
public record HostFacts(int cores, double loadAverage1m, String backend, String kvm, HostInterference interference) {

    public HostFacts {
        interference = interference == null ? HostInterference.UNKNOWN : interference;
    }

    /** Facts without a measured interference. */
    public HostFacts(int cores, double loadAverage1m, String backend, String kvm) {
        this(cores, loadAverage1m, backend, kvm, HostInterference.UNKNOWN);
    }

    /** The facts now, for a run on {@code backend}. */
    static HostFacts now(String backend) {
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return new HostFacts(Runtime.getRuntime().availableProcessors(), load < 0 ? Double.NaN : load, backend, kvmKind());
    }

    /** These facts with the interference measured over the run. */
    HostFacts with(HostInterference measured) {
        return new HostFacts(cores, loadAverage1m, backend, kvm, measured);
    }

    private static String kvmKind() {
        Path dev = Path.of("/dev/kvm");
        if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
            return "none";
        }
        return Files.isDirectory(Path.of("/sys/module/kvm_pvm")) ? "pvm" : "kvm";
    }
}
