package dev.jktstr.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.kvm.x86.ApicIdLayout;
import dev.jktstr.kvm.x86.CpuidEntry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The file-descriptor objects and the bad-input paths that need no guest. */
class KvmTest {

    @Test
    void missingDeviceIsATypedActionableError() {
        assertThatThrownBy(() -> Kvm.open(Path.of("/nonexistent/kvm")))
                .isInstanceOf(KvmUnavailableException.class)
                .hasMessageContaining("cannot open /nonexistent/kvm: ENOENT");
        assertThatThrownBy(() -> VirtualMachine.builder().device(Path.of("/nonexistent/kvm")).build())
                .isInstanceOf(KvmUnavailableException.class);
    }

    @Test
    void aDeviceThatIsNotKvmIsRejected() {
        assertThatThrownBy(() -> Kvm.open(Path.of("/dev/null")))
                .isInstanceOf(KvmUnavailableException.class)
                .hasMessageContaining("/dev/null is not a KVM device");
    }

    @Test
    void capabilitiesAndSupportedCpuid() {
        TestGuests.assumeKvm();
        try (Kvm kvm = Kvm.open()) {
            assertThat(kvm.checkExtension(KvmH.KVM_CAP_IRQCHIP)).isPositive();
            assertThat(kvm.maxVcpus()).isPositive();
            assertThat(kvm.vcpuMmapSize()).isGreaterThanOrEqualTo(4096);
            assertThat(kvm.supportedCpuid()).anyMatch(e -> e.function() == 0).anyMatch(e -> e.function() == 1);
        }
    }

    @Test
    void moreVcpusThanKvmAllowsIsATypedError() {
        assertThatThrownBy(() -> VmBuilder.checkVcpuLimits(ApicIdLayout.of(1, 2, 4, 1), 4, 1024))
                .isInstanceOf(KvmUnavailableException.class)
                .hasMessageContaining("has 8 vCPUs but KVM here allows at most 4");
        assertThatThrownBy(() -> VmBuilder.checkVcpuLimits(ApicIdLayout.of(2, 1, 3, 1), 1024, 6))
                .isInstanceOf(KvmUnavailableException.class)
                .hasMessageContaining("needs APIC id 6");
        // Beyond KVM_MAX_VCPUS (1024) the topology itself is refused, before /dev/kvm is touched.
        assertThatThrownBy(() -> VirtualMachine.builder().topology(ApicIdLayout.of(1, 1, 1025, 1)))
                .isInstanceOf(dev.jktstr.machine.InvalidSpecException.class).hasMessageContaining("at most 1024");
    }

    @Test
    void closeIsIdempotentAndStateChecksAreTyped() {
        TestGuests.assumeKvm();
        VirtualMachine vm = VirtualMachine.builder().memoryMib(16).build();
        assertThatThrownBy(vm::pause).isInstanceOf(dev.jktstr.machine.MachineStateException.class);
        vm.close();
        vm.close();
        assertThatThrownBy(vm::start).isInstanceOf(dev.jktstr.machine.MachineStateException.class);
    }

    @Test
    void guestRamHasOneRegionPerNodeAndSkipsTheHole() {
        TestGuests.assumeKvm();
        long gib = 1L << 30;
        try (Kvm kvm = Kvm.open(); VmFd vm = kvm.createVm();
             GuestRam ram = GuestRam.allocate(vm, java.util.List.of(2 * gib, 2 * gib), false)) {
            assertThat(ram.regions()).extracting(GuestRam.Region::node, GuestRam.Region::gpa, GuestRam.Region::size)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 0L, 2 * gib),
                            org.assertj.core.groups.Tuple.tuple(1, 2 * gib, gib),
                            org.assertj.core.groups.Tuple.tuple(1, 4 * gib, gib));
            assertThat(ram.memory().holes()).containsExactly(new dev.jktstr.machine.GuestMemory.Range(3 * gib, gib));
            ram.memory().writeLong(4 * gib + 8, 42);
            assertThat(ram.memory().readLong(4 * gib + 8)).isEqualTo(42);
        }
    }

    @Test
    void apicIdsAbove255GetTheX2apicApi() {
        TestGuests.assumeKvm();
        // 2 nodes x 129 cores: node 1's APIC ids start at 256.
        ApicIdLayout wide = ApicIdLayout.of(2, 1, 129, 1);
        assertThat(wide.maxApicId()).isGreaterThan(255);
        try (VirtualMachine vm = VirtualMachine.builder().topology(wide).memoryMib(16).build()) {
            assertThat(vm.vcpuCount()).isEqualTo(258);
            assertThat(vm.mpState(257)).isEqualTo(KvmH.KVM_MP_STATE_UNINITIALIZED);
        }
    }

    @Test
    void pvmSafeCpuidDropsOnlyWhatPvmCannotEmulate() {
        var leaf1 = CpuidEntry.of(1, 0x806F8, 0, 0xFFFA3203 | 1 << 13 | 1 << 26 | 1 << 27, 0x178BFBFF);
        var leaf7 = CpuidEntry.indexed(7, 0, 0, 0xF1BF07AB, 0, 0);
        var safe = Kvm.pvmSafe(List.of(leaf1, leaf7));
        assertThat(safe.get(0).ecx()).isEqualTo(leaf1.ecx() & ~(1 << 13));
        assertThat(safe.get(0).edx()).isEqualTo(leaf1.edx());
        assertThat(safe.get(1)).isEqualTo(leaf7);
    }
}
