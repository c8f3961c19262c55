package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.kvm.HostVirtualization;
import dev.jktstr.kvm.KvmBackend;
import dev.jktstr.kvm.VirtualizationProbe;
import dev.jktstr.kvm.x86.CpuidEntry;
import dev.jktstr.kvm.x86.HostCpuid;
import dev.jktstr.qemu.QemuBackend;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DoctorTest {

    @TempDir
    Path tmp;

    private static final Doctor.KernelCheck NO_KERNEL = () -> Check.warn("kernel", "none", "build one");

    @Test
    void missingKvmDeviceIsAWarningThatNamesTheQemuFallback() {
        Doctor doctor = new Doctor(HostProbe.system().withKvmDevice(tmp.resolve("kvm")), NO_KERNEL);
        List<Check> kvm = doctor.kvm();
        assertThat(kvm).singleElement().satisfies(c -> {
            assertThat(c.title()).isEqualTo("virtualization");
            assertThat(c.status()).isEqualTo(Check.Status.WARN);
            assertThat(c.detail()).contains("does not exist").contains("qemu backend").contains("QEMU TCG");
            assertThat(c.fix()).contains("modprobe");
        });
    }

    @Test
    void kvmDeviceThatCannotBeOpenedFailsWithTheErrnoName() {
        // A directory stands in for a device node that exists but cannot be opened read-write
        // (permissions would not do: the tests may run as root).
        Doctor doctor = new Doctor(HostProbe.system().withKvmDevice(tmp), NO_KERNEL);
        assertThat(doctor.kvm()).extracting(Check::title).containsExactly("KVM device", "virtualization");
        assertThat(doctor.kvm()).filteredOn(c -> c.title().equals("KVM device")).singleElement().satisfies(c -> {
            assertThat(c.status()).isEqualTo(Check.Status.FAIL);
            assertThat(c.detail()).contains("cannot be opened").contains("EISDIR");
            assertThat(c.fix()).isNotEmpty();
        });
    }

    @Test
    void missingQemuIsAWarningWithTheInstallCommand() {
        Doctor doctor = new Doctor(HostProbe.system().withSearchPath(List.of(tmp)), NO_KERNEL);
        Check qemu = doctor.qemu();
        assertThat(qemu.status()).isEqualTo(Check.Status.WARN);
        assertThat(qemu.fix()).isEqualTo("apt-get install qemu-system-x86");
    }

    @Test
    void brokenQemuBinaryFailsInsteadOfThrowing() throws Exception {
        Path fake = tmp.resolve("qemu-system-x86_64");
        Files.writeString(fake, "#!/bin/sh\necho broken >&2\nexit 3\n");
        assertThat(fake.toFile().setExecutable(true)).isTrue();
        Check qemu = new Doctor(HostProbe.system().withSearchPath(List.of(tmp)), NO_KERNEL).qemu();
        assertThat(qemu.status()).isEqualTo(Check.Status.FAIL);
        assertThat(qemu.detail()).contains("exited 3").contains("broken");
    }

    @Test
    void realKvmDeviceAnswersApiVersion12() {
        Path kvm = Path.of("/dev/kvm");
        assumeTrue(Files.isReadable(kvm) && Files.isWritable(kvm), "no accessible /dev/kvm on this machine");
        List<Check> checks = new Doctor(HostProbe.system(), NO_KERNEL).kvm();
        assertThat(checks).extracting(Check::title).contains("KVM device", "KVM API", "virtualization", "KVM capabilities");
        assertThat(checks).filteredOn(c -> c.title().equals("KVM API"))
                .singleElement().satisfies(c -> assertThat(c.detail()).isEqualTo("version 12"));
    }

    @Test
    void dynamicBusyboxIsAWarningAndAFileThatIsNotElfFailsCleanly() throws Exception {
        Path dynamic = Path.of("/bin/ls");
        assumeTrue(Files.isRegularFile(dynamic), "no /bin/ls to stand in for a dynamic executable");
        HostProbe host = HostProbe.system();
        Check dyn = new Doctor(host.withBusybox(dynamic), NO_KERNEL).busybox();
        assertThat(dyn.status()).isEqualTo(Check.Status.WARN);
        assertThat(dyn.detail()).contains("dynamically linked");
        assertThat(dyn.fix()).isEqualTo("apt-get install busybox-static");

        Path text = Files.writeString(tmp.resolve("busybox"), "#!/bin/sh\n");
        Check notElf = new Doctor(host.withBusybox(text), NO_KERNEL).busybox();
        assertThat(notElf.status()).isEqualTo(Check.Status.FAIL);
        assertThat(notElf.fix()).isNotEmpty();
    }

    @Test
    void everyCheckPrintsOneLineAndFailuresCarryAFix() {
        List<Check> checks = new Doctor(HostProbe.system().withSearchPath(List.of(tmp))
                .withKvmDevice(tmp.resolve("absent")), NO_KERNEL).run();
        StringWriter text = new StringWriter();
        DoctorCommand.print(checks, new PrintWriter(text));
        assertThat(text.toString()).doesNotContain("Exception").contains("[warn] ").contains("fix: ");
        assertThat(checks).filteredOn(c -> c.status() != Check.Status.OK).allSatisfy(c -> assertThat(c.fix()).isNotEmpty());
    }

    @Test
    void doctorCommandExitsWithoutStackTrace() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Jktstr.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute("doctor", "--json");
        assertThat(status).isIn(0, 1);
        assertThat(out.toString()).startsWith("[").contains("\"check\" : \"JDK\"");
        assertThat(err.toString()).doesNotContain("Exception");
    }

    @Test
    void backendLineOnThisHostNamesAChoiceOrSaysWhyThereIsNone() {
        // What it chooses depends on this machine; the choice per kind of host is the matrix below.
        Check backend = Doctor.safely("backend", Doctor::backendChoice);
        assertThat(backend.title()).isEqualTo("backend");
        assertThat(backend.detail()).doesNotContain("Exception");
        if (backend.status() == Check.Status.OK) {
            assertThat(backend.detail()).containsPattern("^(qemu|kvm): ");
        } else {
            assertThat(backend.fix()).isNotEmpty();
        }
    }

    /** The real probe against what the kernel says: /dev/kvm's existence and the /proc/cpuinfo flags. */
    @Test
    void realProbeAgreesWithDevKvmAndProcCpuinfo() throws Exception {
        HostProbe system = HostProbe.system();
        assumeTrue(Files.isReadable(system.cpuinfo()), "no /proc/cpuinfo: not Linux");
        HostVirtualization real = system.virtualization();
        if (!Files.exists(system.kvmDevice())) {
            assertThat(real.kind()).isEqualTo(HostVirtualization.Kind.NONE);
            assertThat(real.device().access()).isEqualTo(VirtualizationProbe.Access.MISSING);
        }
        if (real.kind() != HostVirtualization.Kind.NONE) {
            assertThat(system.kvmDevice()).exists();
        }
        assertThat(dev.jktstr.kvm.Kvm.isPvm()).isEqualTo(real.kind() == HostVirtualization.Kind.PVM);
        String cpuinfo = Files.readString(system.cpuinfo());
        List<String> flags = java.util.regex.Pattern.compile("^flags\\s*:(.*)$", java.util.regex.Pattern.MULTILINE)
                .matcher(cpuinfo).results().findFirst().map(m -> List.of(m.group(1).strip().split("\\s+")))
                .orElse(List.of());
        assumeTrue(!flags.isEmpty(), "/proc/cpuinfo has no flags line (not x86)");
        assertThat(real.hypervisor().isPresent()).as("CPUID hypervisor bit vs the cpuinfo flag")
                .isEqualTo(flags.contains("hypervisor"));
        if (!real.extension().isEmpty() && (flags.contains("vmx") || flags.contains("svm"))) {
            assertThat(flags).contains(real.extension());
        }
    }

    /** One faked host: its /dev/kvm, loaded modules, /proc/cpuinfo and CPUID (null: CPUID not readable). */
    record FakeHost(String name, VirtualizationProbe.Access device, List<String> modules, String cpuinfo,
                    List<CpuidEntry> cpuid) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** What doctor must say about one faked host, and which backend a plain run takes there. */
    record Expected(HostVirtualization.Kind kind, Check.Status status, List<String> detailHas, String backendStarts,
                    String kvmReasonHas) {
    }

    private static final String SMALL_CPUINFO = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n"
            + "flags\t\t: fpu sse2 hypervisor\n";

    static List<Arguments> hosts() {
        List<CpuidEntry> underKvm = cpu(false, false, true, "KVMKVMKVM\0\0\0");
        return List.of(
                Arguments.of(new FakeHost("no /dev/kvm, kvm_pvm loaded", VirtualizationProbe.Access.MISSING,
                                List.of("kvm", "kvm_pvm"), SMALL_CPUINFO, underKvm),
                        new Expected(HostVirtualization.Kind.NONE, Check.Status.WARN,
                                List.of("no usable KVM", "does not exist", "kvm backend is unavailable", "QEMU TCG"),
                                "qemu: qemu tcg", "does not exist")),
                Arguments.of(new FakeHost("/dev/kvm not accessible", VirtualizationProbe.Access.NOT_ACCESSIBLE,
                                List.of("kvm", "kvm_intel"), SMALL_CPUINFO, cpu(true, false, false, "")),
                        new Expected(HostVirtualization.Kind.NONE, Check.Status.WARN,
                                List.of("no usable KVM", "not accessible (EISDIR)", "QEMU TCG"),
                                "qemu: qemu tcg", "not accessible")),
                Arguments.of(new FakeHost("PVM", VirtualizationProbe.Access.READ_WRITE, List.of("kvm", "kvm_pvm"),
                                SMALL_CPUINFO, underKvm),
                        new Expected(HostVirtualization.Kind.PVM, Check.Status.WARN,
                                List.of("PVM (kvm_pvm)", "cannot boot Linux", "QEMU TCG", "guest of KVM (KVMKVMKVM)"),
                                "qemu: qemu tcg", "PVM")),
                Arguments.of(new FakeHost("hardware vmx", VirtualizationProbe.Access.READ_WRITE,
                                List.of("kvm", "kvm_intel"), SMALL_CPUINFO, cpu(true, false, false, "")),
                        new Expected(HostVirtualization.Kind.HARDWARE, Check.Status.OK,
                                List.of("hardware KVM (vmx) on bare metal: native speed"),
                                "qemu: qemu kvm", "hardware KVM (vmx)")),
                Arguments.of(new FakeHost("hardware svm, module not visible", VirtualizationProbe.Access.READ_WRITE,
                                List.of(), SMALL_CPUINFO, cpu(false, true, false, "")),
                        new Expected(HostVirtualization.Kind.HARDWARE, Check.Status.OK,
                                List.of("hardware KVM (svm) on bare metal: native speed"),
                                "qemu: qemu kvm", "hardware KVM (svm)")),
                Arguments.of(new FakeHost("nested under KVM", VirtualizationProbe.Access.READ_WRITE,
                                List.of("kvm", "kvm_amd"), SMALL_CPUINFO, cpu(false, true, true, "KVMKVMKVM\0\0\0")),
                        new Expected(HostVirtualization.Kind.NESTED_UNDER_HYPERVISOR, Check.Status.OK,
                                List.of("hardware KVM (svm), nested", "guest of KVM (KVMKVMKVM)", "near native speed"),
                                "qemu: qemu kvm", "near native speed")),
                Arguments.of(new FakeHost("nested under Hyper-V", VirtualizationProbe.Access.READ_WRITE,
                                List.of("kvm", "kvm_intel"), SMALL_CPUINFO, cpu(true, false, true, "Microsoft Hv")),
                        new Expected(HostVirtualization.Kind.NESTED_UNDER_HYPERVISOR, Check.Status.OK,
                                List.of("hardware KVM (vmx), nested", "guest of Hyper-V (Microsoft Hv)", "near native"),
                                "qemu: qemu kvm", "Hyper-V")),
                Arguments.of(new FakeHost("nested under QEMU TCG (the proving ground)",
                                VirtualizationProbe.Access.READ_WRITE, List.of("kvm", "kvm_amd"), SMALL_CPUINFO,
                                cpu(false, true, true, "TCGTCGTCGTCG")),
                        new Expected(HostVirtualization.Kind.NESTED_UNDER_EMULATOR, Check.Status.WARN,
                                List.of("KVM (svm), nested", "guest of QEMU TCG (TCGTCGTCGTCG)",
                                        "real KVM but emulated underneath: ~50x slower, for correctness checks only"),
                                "qemu: qemu kvm", "~50x slower")),
                Arguments.of(new FakeHost("nested under QEMU TCG, CPUID not readable",
                                VirtualizationProbe.Access.READ_WRITE, List.of("kvm", "kvm_amd"),
                                "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: QEMU TCG CPU version 2.5+\n"
                                        + "flags\t\t: fpu sse2 hypervisor svm\n", null),
                        new Expected(HostVirtualization.Kind.NESTED_UNDER_EMULATOR, Check.Status.WARN,
                                List.of("guest of QEMU TCG", "~50x slower, for correctness checks only"),
                                "qemu: qemu kvm", "~50x slower")),
                Arguments.of(new FakeHost("KVM of unknown backing", VirtualizationProbe.Access.READ_WRITE,
                                List.of("kvm"), SMALL_CPUINFO, cpu(false, false, false, "")),
                        new Expected(HostVirtualization.Kind.UNKNOWN, Check.Status.WARN,
                                List.of("unknown backing", "speed unknown"), "kvm: ", "unknown backing")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hosts")
    void doctorStatesTheKindTheSpeedAndTheBackendForEachKindOfHost(FakeHost fake, Expected expected) throws Exception {
        HostProbe probe = fakeProbe(fake);
        HostVirtualization virtualization = probe.virtualization();
        assertThat(virtualization.kind()).isEqualTo(expected.kind());

        List<Check> kvm = new Doctor(probe, NO_KERNEL).kvm();
        List<Check> lines = kvm.stream().filter(c -> c.title().equals("virtualization")).toList();
        assertThat(lines).as("one virtualization line in %s", kvm).hasSize(1);
        Check line = lines.getFirst();
        assertThat(line.status()).isEqualTo(expected.status());
        assertThat(line.detail()).contains(expected.detailHas());
        if (expected.kind() != HostVirtualization.Kind.HARDWARE
                && expected.kind() != HostVirtualization.Kind.NESTED_UNDER_HYPERVISOR) {
            assertThat(line.detail()).doesNotContain("native speed");
            assertThat(line.fix()).isNotEmpty();
        }

        // The backends as they would rank on that host; a stand-in qemu-system-x86_64 so QEMU is "installed".
        Path qemu = Files.writeString(tmp.resolve("qemu-system-x86_64"), "#!/bin/sh\necho QEMU emulator version 9.2.0\n");
        assertThat(qemu.toFile().setExecutable(true)).isTrue();
        Check backend = Doctor.backendChoice(List.of(new KvmBackend(virtualization),
                new QemuBackend(qemu, QemuBackend.Accel.AUTO, virtualization::hardwareAssisted)));
        assertThat(backend.status()).isEqualTo(Check.Status.OK);
        assertThat(backend.detail()).startsWith(expected.backendStarts());
        String kvmReason = expected.backendStarts().startsWith("kvm")
                ? backend.detail().substring(0, backend.detail().indexOf("; then"))
                : backend.detail().substring(backend.detail().indexOf("then kvm ("));
        assertThat(kvmReason).contains(expected.kvmReasonHas());

        StringWriter text = new StringWriter();
        DoctorCommand.print(List.of(line, backend), new PrintWriter(text));
        assertThat(text.toString()).contains("virtualization").contains("backend");
    }

    @Test
    void kvmPvmWithoutAUsableDeviceIsNotPvm() throws Exception {
        HostProbe probe = fakeProbe(new FakeHost("no device", VirtualizationProbe.Access.MISSING,
                List.of("kvm", "kvm_pvm"), SMALL_CPUINFO, null));
        assertThat(probe.virtualization().kind()).isEqualTo(HostVirtualization.Kind.NONE);
    }

    /** The doctor's own probe over files in {@link #tmp}: a device node, /sys/module, /proc/cpuinfo, and a fake CPUID. */
    private HostProbe fakeProbe(FakeHost fake) throws Exception {
        Path sysModule = Files.createDirectories(tmp.resolve("sys/module"));
        for (String module : fake.modules()) {
            Files.createDirectories(sysModule.resolve(module));
        }
        Path device = switch (fake.device()) {
            case MISSING -> tmp.resolve("no-kvm");
            case NOT_ACCESSIBLE -> Files.createDirectories(tmp.resolve("kvm-dir")); // opens with EISDIR
            case READ_WRITE -> Files.writeString(tmp.resolve("kvm"), ""); // opens read-write; no ioctl is asked of it
        };
        Path cpuinfo = Files.writeString(tmp.resolve("cpuinfo"), fake.cpuinfo());
        HostCpuid cpuid = fake.cpuid() == null ? HostCpuid.unavailable() : HostCpuid.fixed(fake.cpuid());
        return new HostProbe(device, cpuinfo, tmp.resolve("no-proc-modules"), sysModule, List.of(tmp),
                tmp.resolve("busybox"), cpuid);
    }

    /** CPUID of a fake CPU: VMX (1:ECX[5]), SVM (0x80000001:ECX[2]), the hypervisor bit (1:ECX[31]) and signature. */
    static List<CpuidEntry> cpu(boolean vmx, boolean svm, boolean hypervisor, String signature) {
        List<CpuidEntry> leaves = new java.util.ArrayList<>();
        leaves.add(CpuidEntry.of(1, 0, 0, (vmx ? 1 << 5 : 0) | (hypervisor ? 1 << 31 : 0), 0));
        leaves.add(CpuidEntry.of(0x80000000, 0x80000021, 0, 0, 0));
        leaves.add(CpuidEntry.of(0x80000001, 0, 0, svm ? 1 << 2 : 0, 0));
        if (hypervisor) {
            byte[] b = java.util.Arrays.copyOf(signature.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 12);
            java.nio.ByteBuffer le = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            leaves.add(CpuidEntry.of(0x40000000, 0x40000001, le.getInt(0), le.getInt(4), le.getInt(8)));
        }
        return leaves;
    }
}
