package dev.jktstr.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.kvm.HostVirtualization.Kind;
import dev.jktstr.kvm.VirtualizationProbe.Access;
import dev.jktstr.kvm.x86.CpuidEntry;
import dev.jktstr.kvm.x86.HostCpuid;
import dev.jktstr.machine.MachineSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The host classification over faked probes, and the real probe against /proc/cpuinfo and /dev/kvm. */
class HostVirtualizationTest {

    private static final Path DEVICE = Path.of("/dev/kvm");

    /** A faked host: device access, loaded modules, CPUID leaves (null: not readable) and /proc/cpuinfo. */
    private static VirtualizationProbe host(Access access, Set<String> modules, List<CpuidEntry> cpuid, String cpuinfo) {
        return new VirtualizationProbe() {
            @Override
            public Device kvmDevice() {
                return new Device(DEVICE, access, access == Access.NOT_ACCESSIBLE ? "EACCES" : "");
            }

            @Override
            public boolean moduleLoaded(String name) {
                return modules.contains(name);
            }

            @Override
            public HostCpuid cpuid() {
                return cpuid == null ? HostCpuid.unavailable() : HostCpuid.fixed(cpuid);
            }

            @Override
            public String cpuinfo() {
                return cpuinfo;
            }
        };
    }

    private static List<CpuidEntry> cpu(boolean vmx, boolean svm, String signature) {
        List<CpuidEntry> leaves = new ArrayList<>();
        leaves.add(CpuidEntry.of(1, 0, 0, (vmx ? 1 << 5 : 0) | (signature != null ? 1 << 31 : 0), 0));
        leaves.add(CpuidEntry.of(0x80000000, 0x80000008, 0, 0, 0));
        leaves.add(CpuidEntry.of(0x80000001, 0, 0, svm ? 1 << 2 : 0, 0));
        if (signature != null) {
            leaves.add(signatureLeaf(0x40000000, signature));
        }
        return leaves;
    }

    private static CpuidEntry signatureLeaf(int leaf, String signature) {
        ByteBuffer b = ByteBuffer.wrap(Arrays.copyOf(signature.getBytes(StandardCharsets.ISO_8859_1), 12))
                .order(ByteOrder.LITTLE_ENDIAN);
        return CpuidEntry.of(leaf, leaf + 1, b.getInt(0), b.getInt(4), b.getInt(8));
    }

    private static HostVirtualization classify(Access access, Set<String> modules, List<CpuidEntry> cpuid) {
        return HostVirtualization.classify(host(access, modules, cpuid, ""));
    }

    @Test
    void noUsableDeviceIsNoneWhateverElseIsLoaded() {
        HostVirtualization missing = classify(Access.MISSING, Set.of("kvm_pvm", "kvm_intel"), cpu(true, false, null));
        assertThat(missing.kind()).isEqualTo(Kind.NONE);
        assertThat(missing.describe()).contains("does not exist");
        HostVirtualization denied = classify(Access.NOT_ACCESSIBLE, Set.of("kvm_pvm"), cpu(false, false, "KVMKVMKVM"));
        assertThat(denied.kind()).isEqualTo(Kind.NONE);
        assertThat(denied.describe()).contains("not accessible (EACCES)").contains("guest of KVM");
        assertThat(denied.hardwareAssisted()).isFalse();
    }

    @Test
    void kvmPvmWithAUsableDeviceIsPvm() {
        HostVirtualization pvm = classify(Access.READ_WRITE, Set.of("kvm", "kvm_pvm"), cpu(false, false, "KVMKVMKVM\0\0\0"));
        assertThat(pvm.kind()).isEqualTo(Kind.PVM);
        assertThat(pvm.hardwareAssisted()).isFalse();
        assertThat(pvm.expectedSpeed()).contains("cannot boot Linux").contains("QEMU TCG");
    }

    @Test
    void bareMetalIsHardwareAtNativeSpeed() {
        HostVirtualization intel = classify(Access.READ_WRITE, Set.of("kvm_intel"), cpu(true, false, null));
        assertThat(intel.kind()).isEqualTo(Kind.HARDWARE);
        assertThat(intel.extension()).isEqualTo("vmx");
        assertThat(intel.hypervisor()).isEmpty();
        assertThat(intel.toString()).isEqualTo("hardware KVM (vmx) on bare metal: native speed");
        // no module visible (e.g. a container without /sys/module): the CPUID bit says svm
        assertThat(classify(Access.READ_WRITE, Set.of(), cpu(false, true, null)).extension()).isEqualTo("svm");
    }

    @Test
    void theHypervisorSignatureTellsNestedUnderAHypervisorFromNestedUnderAnEmulator() {
        HostVirtualization kvm = classify(Access.READ_WRITE, Set.of("kvm_amd"), cpu(false, true, "KVMKVMKVM\0\0\0"));
        assertThat(kvm.kind()).isEqualTo(Kind.NESTED_UNDER_HYPERVISOR);
        assertThat(kvm.hypervisor()).map(HostVirtualization.Hypervisor::name).contains("KVM");
        assertThat(kvm.expectedSpeed()).startsWith("near native speed");

        HostVirtualization tcg = classify(Access.READ_WRITE, Set.of("kvm_amd"), cpu(false, true, "TCGTCGTCGTCG"));
        assertThat(tcg.kind()).isEqualTo(Kind.NESTED_UNDER_EMULATOR);
        assertThat(tcg.hardwareAssisted()).isTrue(); // real KVM: QEMU's KVM accelerator still beats TCG inside TCG
        assertThat(tcg.toString()).contains("QEMU TCG (TCGTCGTCGTCG)")
                .contains("real KVM but emulated underneath: ~50x slower, for correctness checks only")
                .doesNotContain("native speed");

        for (String other : List.of("Microsoft Hv", "VMwareVMware", "XenVMMXenVMM", "bhyve bhyve ")) {
            HostVirtualization v = classify(Access.READ_WRITE, Set.of("kvm_intel"), cpu(true, false, other));
            assertThat(v.kind()).as(other).isEqualTo(Kind.NESTED_UNDER_HYPERVISOR);
            assertThat(v.hypervisor().orElseThrow().known()).as(other).isTrue();
        }
        HostVirtualization unknown = classify(Access.READ_WRITE, Set.of("kvm_intel"), cpu(true, false, "NewHyperVsr!"));
        assertThat(unknown.kind()).isEqualTo(Kind.NESTED_UNDER_HYPERVISOR);
        assertThat(unknown.describe()).contains("an unknown hypervisor (NewHyperVsr!)");
        assertThat(unknown.expectedSpeed()).startsWith("probably");
    }

    @Test
    void kvmBehindAHyperVInterfaceIsFoundAtItsOwnBase() {
        List<CpuidEntry> leaves = new ArrayList<>(cpu(true, false, "Microsoft Hv"));
        leaves.add(signatureLeaf(0x40000100, "KVMKVMKVM\0\0\0"));
        HostVirtualization v = classify(Access.READ_WRITE, Set.of("kvm_intel"), leaves);
        assertThat(v.hypervisor()).map(HostVirtualization.Hypervisor::name).contains("KVM");
    }

    @Test
    void withoutCpuidTheFlagsAndTheModelNameDecide() {
        String tcg = "processor\t: 0\nmodel name\t: QEMU TCG CPU version 2.5+\nflags\t\t: fpu svm hypervisor\n";
        HostVirtualization nested = HostVirtualization.classify(host(Access.READ_WRITE, Set.of("kvm_amd"), null, tcg));
        assertThat(nested.kind()).isEqualTo(Kind.NESTED_UNDER_EMULATOR);

        String other = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\nflags\t\t: fpu vmx hypervisor\n";
        HostVirtualization guest = HostVirtualization.classify(host(Access.READ_WRITE, Set.of(), null, other));
        assertThat(guest.kind()).isEqualTo(Kind.NESTED_UNDER_HYPERVISOR);
        assertThat(guest.extension()).isEqualTo("vmx");
        assertThat(guest.describe()).contains("unknown hypervisor");

        String metal = "processor\t: 0\nflags\t\t: fpu vmx\n";
        assertThat(HostVirtualization.classify(host(Access.READ_WRITE, Set.of(), null, metal)).kind())
                .isEqualTo(Kind.HARDWARE);
        assertThat(HostVirtualization.classify(host(Access.READ_WRITE, Set.of("kvm"), null, "flags : fpu\n")).kind())
                .isEqualTo(Kind.UNKNOWN);
    }

    @Test
    void kvmBackendRanksAndExplainsByTheKind() {
        MachineSpec spec = MachineSpec.builder(Path.of("/nonexistent")).build();
        KvmBackend none = new KvmBackend(classify(Access.MISSING, Set.of("kvm_pvm"), cpu(false, false, "KVMKVMKVM")));
        assertThat(none.canBoot(spec).ok()).isFalse();
        assertThat(none.canBoot(spec).reason()).contains("/dev/kvm does not exist");
        KvmBackend pvm = new KvmBackend(classify(Access.READ_WRITE, Set.of("kvm_pvm"), cpu(false, false, "KVMKVMKVM")));
        assertThat(pvm.speedRank()).isEqualTo(KvmBackend.RANK_PVM);
        assertThat(pvm.canBoot(spec).reason()).contains("PVM");
        KvmBackend tcg = new KvmBackend(classify(Access.READ_WRITE, Set.of("kvm_amd"), cpu(false, true, "TCGTCGTCGTCG")));
        assertThat(tcg.speedRank()).isEqualTo(KvmBackend.RANK_HARDWARE);
        assertThat(tcg.canBoot(spec).reason()).contains("~50x slower").doesNotContain("native speed");
        KvmBackend metal = new KvmBackend(classify(Access.READ_WRITE, Set.of("kvm_intel"), cpu(true, false, null)));
        assertThat(metal.canBoot(spec).reason()).isEqualTo("hardware KVM (vmx) with our own VMM");
    }

    /** The real probe: CPUID executed from Java agrees with what the kernel read from the same CPU. */
    @Test
    void executedCpuidAgreesWithProcCpuinfo() throws Exception {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        assumeTrue(Files.isReadable(cpuinfo), "no /proc/cpuinfo: not Linux");
        String text = Files.readString(cpuinfo);
        String vendor = field(text, "vendor_id");
        assumeTrue(vendor != null, "/proc/cpuinfo has no vendor_id: not x86");
        Optional<String> unavailable = HostCpuid.executedUnavailableReason();
        // Only the system may refuse (no executable anonymous memory); anything else is our bug.
        unavailable.ifPresent(why -> assertThat(why).startsWith("mprotect(PROT_EXEC) refused"));
        assumeTrue(unavailable.isEmpty(), () -> "CPUID cannot be executed here: " + unavailable.orElseThrow());

        CpuidEntry leaf0 = HostCpuid.executed().leaf(0).orElseThrow();
        assertThat(HostCpuid.vendorEbxEdxEcx(leaf0)).isEqualTo(vendor);
        List<String> flags = Arrays.asList(field(text, "flags").split("\\s+"));
        boolean bit = (HostCpuid.executed().leaf(1).orElseThrow().ecx() >>> 31) == 1;
        assertThat(bit).as("CPUID.1:ECX[31] vs the cpuinfo 'hypervisor' flag").isEqualTo(flags.contains("hypervisor"));
    }

    /** The real classification agrees with /dev/kvm's existence and the kernel's flags; isPvm with the kind. */
    @Test
    void realClassificationAgreesWithDevKvmAndTheKernel() throws Exception {
        HostVirtualization real = HostVirtualization.host();
        if (!Files.exists(DEVICE)) {
            assertThat(real.kind()).isEqualTo(Kind.NONE);
        }
        if (real.kind() != Kind.NONE) {
            assertThat(DEVICE).exists();
        }
        if (real.kind() == Kind.PVM) {
            assertThat(Path.of("/sys/module/kvm_pvm")).isDirectory();
        }
        assertThat(Kvm.isPvm()).isEqualTo(real.kind() == Kind.PVM);
        Path cpuinfo = Path.of("/proc/cpuinfo");
        assumeTrue(Files.isReadable(cpuinfo), "no /proc/cpuinfo: not Linux");
        String flags = field(Files.readString(cpuinfo), "flags");
        assumeTrue(flags != null, "/proc/cpuinfo has no flags: not x86");
        assertThat(real.hypervisor().isPresent()).isEqualTo(Arrays.asList(flags.split("\\s+")).contains("hypervisor"));
    }

    private static String field(String cpuinfo, String name) {
        var m = Pattern.compile("^" + name + "\\s*:(.*)$", Pattern.MULTILINE).matcher(cpuinfo);
        return m.find() ? m.group(1).strip() : null;
    }
}
