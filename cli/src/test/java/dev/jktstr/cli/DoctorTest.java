package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DoctorTest {

    @TempDir
    Path tmp;

    private static final Doctor.KernelCheck NO_KERNEL = () -> Check.warn("kernel", "none", "build one");

    @Test
    void missingKvmDeviceIsAWarningThatNamesTheQemuFallback() {
        Doctor doctor = new Doctor(HostProbe.system().withKvmDevice(tmp.resolve("kvm")), NO_KERNEL);
        List<Check> kvm = doctor.kvm();
        assertThat(kvm).singleElement().satisfies(c -> {
            assertThat(c.status()).isEqualTo(Check.Status.WARN);
            assertThat(c.detail()).contains("does not exist").contains("qemu backend");
            assertThat(c.fix()).contains("modprobe");
        });
    }

    @Test
    void kvmDeviceThatCannotBeOpenedFailsWithTheErrnoName() {
        // A directory stands in for a device node that exists but cannot be opened read-write
        // (permissions would not do: the tests may run as root).
        Doctor doctor = new Doctor(HostProbe.system().withKvmDevice(tmp), NO_KERNEL);
        assertThat(doctor.kvm()).singleElement().satisfies(c -> {
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
    void pvmIsToldApartFromHardwareVirtualization() throws Exception {
        Path cpuinfo = Files.writeString(tmp.resolve("cpuinfo"), "processor\t: 0\nflags\t\t: fpu sse2 hypervisor\n");
        Path modules = Files.writeString(tmp.resolve("modules"), "kvm_pvm 1234 0 - Live 0x0\nkvm 5678 1 kvm_pvm\n");
        HostProbe pvmHost = new HostProbe(Path.of("/dev/kvm"), cpuinfo, modules, tmp, List.of(), tmp);
        Check pvm = new Doctor(pvmHost, NO_KERNEL).virtualizationKind();
        assertThat(pvm.status()).isEqualTo(Check.Status.WARN);
        assertThat(pvm.detail()).contains("PVM");

        Path vmx = Files.writeString(tmp.resolve("cpuinfo-vmx"), "processor\t: 0\nflags\t\t: fpu vmx sse2\n");
        HostProbe hwHost = new HostProbe(Path.of("/dev/kvm"), vmx, modules, tmp, List.of(), tmp);
        Check hw = new Doctor(hwHost, NO_KERNEL).virtualizationKind();
        assertThat(hw.status()).isEqualTo(Check.Status.OK);
        assertThat(hw.detail()).contains("hardware-backed").contains("vmx");
    }

    @Test
    void dynamicBusyboxIsAWarningAndAFileThatIsNotElfFailsCleanly() throws Exception {
        Path dynamic = Path.of("/bin/ls");
        assumeTrue(Files.isRegularFile(dynamic), "no /bin/ls to stand in for a dynamic executable");
        HostProbe host = HostProbe.system();
        Check dyn = new Doctor(new HostProbe(host.kvmDevice(), host.cpuinfo(), host.modules(), host.sysModule(),
                host.searchPath(), dynamic), NO_KERNEL).busybox();
        assertThat(dyn.status()).isEqualTo(Check.Status.WARN);
        assertThat(dyn.detail()).contains("dynamically linked");
        assertThat(dyn.fix()).isEqualTo("apt-get install busybox-static");

        Path text = Files.writeString(tmp.resolve("busybox"), "#!/bin/sh\n");
        Check notElf = new Doctor(new HostProbe(host.kvmDevice(), host.cpuinfo(), host.modules(), host.sysModule(),
                host.searchPath(), text), NO_KERNEL).busybox();
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
    void backendLineNamesTheChoiceAndWhyTheOthersCameLater() {
        Check backend = Doctor.backendChoice();
        boolean qemu = java.util.stream.Stream.of(System.getenv("PATH").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d, "qemu-system-x86_64")));
        assumeTrue(qemu, "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)");
        if (dev.jktstr.kvm.Kvm.isPvm()) {
            // PVM runs guest kernels slower than TCG: QEMU first, kvm after it with the reason.
            assertThat(backend.status()).isEqualTo(Check.Status.OK);
            assertThat(backend.detail()).startsWith("qemu").contains("then kvm (").contains("PVM");
        } else {
            assertThat(backend.title()).isEqualTo("backend");
        }
    }
}
