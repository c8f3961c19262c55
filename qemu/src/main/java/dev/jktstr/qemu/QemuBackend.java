package dev.jktstr.qemu;

import dev.jktstr.machine.BackendUnavailableException;
import dev.jktstr.machine.HostTools;
import dev.jktstr.machine.InvalidSpecException;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Runs guests in {@code qemu-system-x86_64}. Acceleration: KVM where /dev/kvm is backed by hardware
 * virtualisation (kvm_intel or kvm_amd loaded), TCG otherwise; {@code qemu:kvm} and {@code qemu:tcg}
 * force one. A software-emulated /dev/kvm (PVM) is slower than TCG at running a guest kernel, so AUTO
 * does not use it.
 */
public final class QemuBackend implements MachineBackend {

    /** Which QEMU accelerator to use. */
    public enum Accel { AUTO, KVM, TCG }

    public static final String BINARY_NAME = "qemu-system-x86_64";

    private final Path binary;
    private final Accel accel;
    private final BooleanSupplier hardwareKvm;

    /** The QEMU on PATH, accelerator chosen automatically (the ServiceLoader constructor). */
    public QemuBackend() {
        this(null, Accel.AUTO);
    }

    /**
     * @param binary the qemu-system-x86_64 to run, or null for the one on PATH
     */
    public QemuBackend(Path binary, Accel accel) {
        this(binary, accel, QemuBackend::hardwareKvm);
    }

    /**
     * @param hardwareKvm whether /dev/kvm is usable and hardware-backed, which AUTO asks (a host faked in
     *     tests and by {@code jktstr doctor}'s matrix; otherwise {@link #hardwareKvm()})
     */
    public QemuBackend(Path binary, Accel accel, BooleanSupplier hardwareKvm) {
        this.binary = binary;
        this.accel = accel;
        this.hardwareKvm = hardwareKvm;
    }

    @Override
    public String name() {
        return "qemu";
    }

    @Override
    public int speedRank() {
        return effectiveAccel() == Accel.KVM ? 50 : 100;
    }

    @Override
    public MachineBackend variant(String variant) {
        try {
            return new QemuBackend(binary, Accel.valueOf(variant.toUpperCase(Locale.ROOT)), hardwareKvm);
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException("backend", "qemu has variants auto, kvm, tcg; not '" + variant + "'");
        }
    }

    /** The accelerator a boot will use. */
    public Accel effectiveAccel() {
        return accel == Accel.AUTO ? (hardwareKvm.getAsBoolean() ? Accel.KVM : Accel.TCG) : accel;
    }

    /** Whether /dev/kvm is usable and backed by VT-x/AMD-V rather than emulated. */
    public static boolean hardwareKvm() {
        Path kvm = Path.of("/dev/kvm");
        return Files.isReadable(kvm) && Files.isWritable(kvm)
                && (Files.exists(Path.of("/sys/module/kvm_intel")) || Files.exists(Path.of("/sys/module/kvm_amd")));
    }

    /** The QEMU binary this backend runs, if it exists: the one given, else the one on PATH ({@link HostTools}). */
    public Optional<Path> findBinary() {
        if (binary != null) {
            return HostTools.isExecutableFile(binary) ? Optional.of(binary) : Optional.empty();
        }
        return HostTools.onPath().find(BINARY_NAME);
    }

    /** q35 without an IOMMU: xAPIC ids, so 255 CPUs (QEMU's own 288 needs interrupt remapping). */
    @Override
    public int maxCpus() {
        return 255;
    }

    @Override
    public Support canBoot(MachineSpec spec) {
        Optional<Support> tooMany = cpuLimitExceeded(spec);
        if (tooMany.isPresent()) {
            return tooMany.get();
        }
        if (findBinary().isEmpty()) {
            return Support.no(missingBinaryMessage());
        }
        if (accel == Accel.KVM && !Files.isWritable(Path.of("/dev/kvm"))) {
            return Support.no("/dev/kvm is not accessible; use qemu:tcg");
        }
        return Support.yes("qemu " + effectiveAccel().name().toLowerCase(Locale.ROOT));
    }

    private String missingBinaryMessage() {
        return (binary != null ? "QEMU binary " + binary + " not found or not executable"
                : BINARY_NAME + " not found on PATH") + "; install it (Debian: apt-get install qemu-system-x86)";
    }

    /**
     * The QEMU binary (its real path, size and modification time: a QEMU upgrade invalidates snapshots, since the
     * migration stream is tied to the version) and the accelerator.
     */
    @Override
    public Optional<String> snapshotIdentity() {
        Optional<Path> qemu = findBinary();
        if (qemu.isEmpty()) {
            return Optional.empty();
        }
        try {
            Path real = qemu.get().toRealPath();
            return Optional.of("qemu:" + effectiveAccel().name().toLowerCase(Locale.ROOT) + " " + real + " "
                    + Files.size(real) + " bytes, modified " + Files.getLastModifiedTime(real).toMillis());
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public Machine restore(MachineSpec spec, Path state) {
        if (!Files.isRegularFile(state) || !Files.isReadable(state)) {
            throw new InvalidSpecException("snapshot", "saved state " + state + " does not exist or is not readable");
        }
        return start(spec, state);
    }

    @Override
    public Machine boot(MachineSpec spec) {
        return start(spec, null);
    }

    private Machine start(MachineSpec spec, Path state) {
        if (!Files.isRegularFile(spec.kernel()) || !Files.isReadable(spec.kernel())) {
            throw new InvalidSpecException("kernel", "kernel image " + spec.kernel() + " does not exist or is not readable");
        }
        spec.initramfs().ifPresent(i -> {
            if (!Files.isRegularFile(i) || !Files.isReadable(i)) {
                throw new InvalidSpecException("initramfs", "initramfs " + i + " does not exist or is not readable");
            }
        });
        for (Path disk : spec.disks()) {
            if (!Files.isRegularFile(disk)) {
                throw new InvalidSpecException("disks", "disk image " + disk + " does not exist");
            }
        }
        Path qemu = findBinary().orElseThrow(() -> new BackendUnavailableException(missingBinaryMessage()));
        Accel a = effectiveAccel();
        return QemuMachine.start(qemu, a, spec, "qemu:" + a.name().toLowerCase(Locale.ROOT), state);
    }
}
