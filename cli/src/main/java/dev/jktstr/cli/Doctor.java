package dev.jktstr.cli;

import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.btf.elf.Elf;
import dev.jktstr.btf.elf.ElfProgramHeader;
import dev.jktstr.kvm.HostVirtualization;
import dev.jktstr.kvm.VirtualizationProbe;
import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.machine.BackendUnavailableException;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineBackends;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.nativeio.FileDescriptor;
import dev.jktstr.nativeio.NativeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The checks behind {@code jktstr doctor}. Every check ends in a {@link Check}; none throws, so a
 * broken host gives fail lines, never a stack trace.
 */
final class Doctor {

    static final int MIN_JDK = 25;

    /** The KVM capabilities our VMM relies on, with what each is for. */
    static final Map<String, Long> REQUIRED_KVM_CAPS = orderedCaps();

    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(10);

    private final HostProbe host;
    private final KernelCheck kernelCheck;

    Doctor(HostProbe host, KernelCheck kernelCheck) {
        this.host = host;
        this.kernelCheck = kernelCheck;
    }

    /** Finds a kernel for booting; separate so the lookup chain lives in one place (kconfig). */
    @FunctionalInterface
    interface KernelCheck {
        Check run();
    }

    List<Check> run() {
        List<Check> checks = new ArrayList<>();
        checks.add(jdk());
        checks.add(nativeAccess());
        checks.addAll(kvm());
        checks.add(qemu());
        checks.add(gcc());
        checks.add(busybox());
        checks.add(safely("kernel", kernelCheck::run));
        return checks;
    }

    Check jdk() {
        Runtime.Version version = Runtime.version();
        if (version.feature() >= MIN_JDK) {
            return Check.ok("JDK", version + " (" + System.getProperty("java.home") + ")");
        }
        return Check.fail("JDK", version + " is too old: jktstr needs JDK " + MIN_JDK + " for java.lang.foreign",
                "run on JDK 25, e.g. export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 (the ./jktstr launcher does)");
    }

    Check nativeAccess() {
        if (Doctor.class.getModule().isNativeAccessEnabled()) {
            return Check.ok("native access", "enabled for jktstr");
        }
        return Check.fail("native access", "the JVM was started without native access for jktstr",
                "add --enable-native-access=ALL-UNNAMED to the java command line (the ./jktstr launcher does)");
    }

    /**
     * The KVM lines: the device (opened read-write, API version, capabilities) where it exists, and always
     * the "virtualization" line, which says what kind of KVM this is and what speed to expect.
     */
    List<Check> kvm() {
        HostVirtualization virtualization = safelyClassify();
        Path device = host.kvmDevice();
        if (!Files.exists(device)) {
            return List.of(virtualizationKind(virtualization));
        }
        List<Check> checks = new ArrayList<>();
        try (FileDescriptor kvm = FileDescriptor.open(device, LibcH.O_RDWR | LibcH.O_CLOEXEC)) {
            checks.add(Check.ok("KVM device", device + " opened read-write"));
            checks.add(apiVersion(kvm));
            checks.add(virtualizationKind(virtualization));
            checks.add(capabilities(kvm));
        } catch (NativeException e) {
            String fix = switch (e.errnoName()) {
                case "EACCES", "EPERM" -> ACCESS_FIX;
                case "ENOENT", "ENXIO", "ENODEV" -> "the KVM module is not loaded: modprobe kvm_intel (or kvm_amd)";
                default -> "check that " + device + " is the KVM character device (ls -l " + device + ")";
            };
            checks.add(Check.fail("KVM device", device + " is present but cannot be opened: " + e.errnoName()
                    + " (" + e.getMessage() + ")", fix));
            checks.add(virtualizationKind(virtualization));
        } catch (RuntimeException e) {
            checks.add(Check.fail("KVM device", device + ": " + e.getMessage(),
                    "check that " + device + " is the KVM character device"));
            checks.add(virtualizationKind(virtualization));
        }
        return checks;
    }

    private static final String ACCESS_FIX = "give your user access: sudo usermod -aG kvm $USER (then log in again),"
            + " or run as root";

    /** The host's classification; a probe that throws reads as "no usable KVM" rather than a stack trace. */
    private HostVirtualization safelyClassify() {
        try {
            return host.virtualization();
        } catch (RuntimeException e) {
            return new HostVirtualization(HostVirtualization.Kind.NONE, new VirtualizationProbe.Device(host.kvmDevice(),
                    VirtualizationProbe.Access.NOT_ACCESSIBLE, "probe failed: " + e), "", Optional.empty());
        }
    }

    private Check apiVersion(FileDescriptor kvm) {
        return safely("KVM API", () -> {
            int version = kvm.ioctl(KvmH.KVM_GET_API_VERSION);
            if (version == KvmH.KVM_API_VERSION) {
                return Check.ok("KVM API", "version " + version);
            }
            return Check.fail("KVM API", "version " + version + ", jktstr speaks version " + KvmH.KVM_API_VERSION,
                    "use a Linux host kernel with the stable KVM API (any kernel since 2.6.22)");
        });
    }

    /** The "virtualization" line for this host. */
    Check virtualizationKind() {
        return virtualizationKind(safelyClassify());
    }

    /**
     * The "virtualization" line: the kind of KVM ({@link HostVirtualization}) and what speed to expect. ok where
     * guests run on VT-x/AMD-V at (near) native speed; warn where they do not.
     */
    static Check virtualizationKind(HostVirtualization v) {
        String detail = v.describe() + ": " + v.expectedSpeed();
        return switch (v.kind()) {
            case HARDWARE, NESTED_UNDER_HYPERVISOR -> Check.ok("virtualization", detail);
            case NESTED_UNDER_EMULATOR -> Check.warn("virtualization", detail,
                    "use this host to check correctness, with generous timeouts; for speed, run on a host with"
                            + " VT-x/AMD-V on bare metal or under a hardware hypervisor");
            case PVM -> Check.warn("virtualization", detail,
                    "boot Linux with the qemu backend (a plain run picks it), or use a host with VT-x/AMD-V");
            case NONE -> Check.warn("virtualization", v.describe() + ": the kvm backend is unavailable; "
                    + v.expectedSpeed(), v.device().access() == VirtualizationProbe.Access.MISSING
                    ? "enable virtualization (VT-x/AMD-V) in firmware or nested virtualization in your cloud,"
                            + " then load kvm_intel or kvm_amd (modprobe kvm_intel)"
                    : v.device().problem().matches("EACCES|EPERM") ? ACCESS_FIX
                    : "check that " + v.device().path() + " is the KVM character device (ls -l " + v.device().path() + ")");
            case UNKNOWN -> Check.warn("virtualization", detail, "if boots are slow, use --backend qemu");
        };
    }

    private Check capabilities(FileDescriptor kvm) {
        return safely("KVM capabilities", () -> {
            List<String> missing = new ArrayList<>();
            REQUIRED_KVM_CAPS.forEach((name, cap) -> {
                if (kvm.ioctl(KvmH.KVM_CHECK_EXTENSION, cap) <= 0) {
                    missing.add(name);
                }
            });
            int maxVcpus = kvm.ioctl(KvmH.KVM_CHECK_EXTENSION, KvmH.KVM_CAP_MAX_VCPUS);
            if (missing.isEmpty()) {
                return Check.ok("KVM capabilities", "all " + REQUIRED_KVM_CAPS.size()
                        + " the VMM needs; up to " + maxVcpus + " vCPUs per VM");
            }
            return Check.fail("KVM capabilities", "missing " + String.join(", ", missing),
                    "use a newer host kernel, or --backend qemu");
        });
    }

    Check qemu() {
        Optional<Path> qemu = host.which("qemu-system-x86_64");
        if (qemu.isEmpty()) {
            return Check.warn("QEMU", "qemu-system-x86_64 not found on PATH: the qemu backend is unavailable",
                    "apt-get install qemu-system-x86");
        }
        return toolVersion("QEMU", qemu.get(), "apt-get install --reinstall qemu-system-x86");
    }

    Check gcc() {
        Optional<Path> gcc = host.which("gcc");
        if (gcc.isEmpty()) {
            return Check.warn("gcc", "gcc not found on PATH: needed to build the guest agent from source",
                    "apt-get install gcc");
        }
        return toolVersion("gcc", gcc.get(), "apt-get install --reinstall gcc");
    }

    Check busybox() {
        Path busybox = host.busybox();
        if (!Files.isRegularFile(busybox)) {
            return Check.warn("busybox", busybox + " not found: guest shell mode needs a static busybox",
                    "apt-get install busybox-static");
        }
        return safely("busybox", () -> isStatic(busybox)
                ? Check.ok("busybox", busybox + " is statically linked")
                : Check.warn("busybox", busybox + " is dynamically linked and cannot run in a bare initramfs",
                        "apt-get install busybox-static"));
    }

    /** A static executable has no PT_INTERP program header (no dynamic loader to name). */
    private static boolean isStatic(Path executable) {
        try (Elf elf = Elf.open(executable)) {
            return elf.programHeaders().stream().noneMatch(h -> h.type() == ElfProgramHeader.PT_INTERP);
        }
    }

    private Check toolVersion(String title, Path tool, String fix) {
        try {
            Process process = new ProcessBuilder(tool.toString(), "--version").redirectErrorStream(true).start();
            process.getOutputStream().close();
            if (!process.waitFor(TOOL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return Check.fail(title, tool + " --version did not answer within " + TOOL_TIMEOUT.toSeconds() + " s", fix);
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String first = output.lines().findFirst().orElse("").strip();
            if (process.exitValue() != 0) {
                return Check.fail(title, tool + " --version exited " + process.exitValue() + ": " + first, fix);
            }
            return Check.ok(title, first + " (" + tool + ")");
        } catch (IOException e) {
            return Check.fail(title, tool + " cannot be run: " + e.getMessage(), fix);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Check.fail(title, "interrupted", fix);
        }
    }

    /** Which backend a plain {@code jktstr run} or {@code boot} would take here, and why the others were passed over. */
    static Check backendChoice() {
        return backendChoice(MachineBackends.all());
    }

    /** {@link #backendChoice()} among the given backends (tests give backends over a faked host). */
    static Check backendChoice(List<MachineBackend> backends) {
        MachineSpec spec = MachineSpec.builder(Path.of("bzImage")).build();
        try {
            MachineBackend chosen = MachineBackends.fastestFor(spec, backends);
            StringBuilder others = new StringBuilder();
            List<MachineBackend> ranked = new ArrayList<>(backends);
            ranked.sort(java.util.Comparator.comparingInt(MachineBackend::speedRank));
            for (MachineBackend b : ranked) {
                if (!b.name().equals(chosen.name())) {
                    others.append(others.isEmpty() ? "; then " : ", ").append(b.name()).append(" (")
                            .append(b.canBoot(spec).reason()).append(")");
                }
            }
            return Check.ok("backend", chosen.name() + ": " + chosen.canBoot(spec).reason() + others);
        } catch (BackendUnavailableException e) {
            return Check.fail("backend", e.getMessage(), "install qemu-system-x86, or make /dev/kvm accessible");
        }
    }

    /** A check that throws is itself a failed check: doctor never ends in a stack trace. */
    static Check safely(String title, java.util.function.Supplier<Check> check) {
        try {
            return check.get();
        } catch (RuntimeException e) {
            return Check.fail(title, e.getClass().getSimpleName() + ": " + e.getMessage(),
                    "run with JKTSTR_DEBUG=1 and report the output");
        }
    }

    private static Map<String, Long> orderedCaps() {
        var caps = new java.util.LinkedHashMap<String, Long>();
        caps.put("KVM_CAP_USER_MEMORY", (long) KvmH.KVM_CAP_USER_MEMORY);
        caps.put("KVM_CAP_IRQCHIP", (long) KvmH.KVM_CAP_IRQCHIP);
        caps.put("KVM_CAP_PIT2", (long) KvmH.KVM_CAP_PIT2);
        caps.put("KVM_CAP_IRQFD", (long) KvmH.KVM_CAP_IRQFD);
        caps.put("KVM_CAP_IOEVENTFD", (long) KvmH.KVM_CAP_IOEVENTFD);
        caps.put("KVM_CAP_SET_TSS_ADDR", (long) KvmH.KVM_CAP_SET_TSS_ADDR);
        caps.put("KVM_CAP_SET_IDENTITY_MAP_ADDR", (long) KvmH.KVM_CAP_SET_IDENTITY_MAP_ADDR);
        caps.put("KVM_CAP_EXT_CPUID", (long) KvmH.KVM_CAP_EXT_CPUID);
        caps.put("KVM_CAP_MP_STATE", (long) KvmH.KVM_CAP_MP_STATE);
        caps.put("KVM_CAP_ADJUST_CLOCK", (long) KvmH.KVM_CAP_ADJUST_CLOCK);
        caps.put("KVM_CAP_IMMEDIATE_EXIT", (long) KvmH.KVM_CAP_IMMEDIATE_EXIT);
        return java.util.Collections.unmodifiableMap(caps);
    }
}
