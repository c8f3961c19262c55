package dev.jktstr.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.kvm.boot.KernelLoadException;
import dev.jktstr.machine.ExitReason;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackends;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.MachineStateException;
import dev.jktstr.machine.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Machine SPI over this VMM: registration, ranking, and a Linux boot started (not awaited: PVM is slow). */
class KvmBackendTest {

    static Path sharedBzImage() {
        return GuestTestSupport.sharedBzImage();
    }

    @Test
    void registeredAndRankedBehindQemuForNow() {
        TestGuests.assumeKvm();
        assertThat(MachineBackends.byName("kvm")).isInstanceOf(KvmBackend.class);
        MachineSpec spec = MachineSpec.builder(Path.of("/nonexistent")).build();
        assertThat(new KvmBackend().canBoot(spec).ok()).isTrue();
        if (Kvm.isPvm()) {
            assertThat(new KvmBackend().canBoot(spec).reason()).contains("PVM");
            assertThat(new KvmBackend().speedRank()).isGreaterThan(100); // behind qemu:tcg
        } else {
            // just behind qemu with KVM until it beats QEMU+KVM on boot and PING (see RANK_HARDWARE)
            assertThat(new KvmBackend().speedRank()).isBetween(51, 99);
        }
    }

    @Test
    void commandLineIsOursThenTheCallersAndLeavesTheVirtioDevicesToTheDsdt() {
        assertThat(KvmBackend.commandLine("quiet")).isEqualTo(KvmBackend.BASE_CMDLINE + " quiet");
        assertThat(KvmBackend.commandLine("")).isEqualTo(KvmBackend.BASE_CMDLINE);
        assertThat(KvmBackend.BASE_CMDLINE).doesNotContain("virtio_mmio");
    }

    @Test
    void aGuestThatPowersOffEndsItsPortsAtOnceSoNobodyWaitsForReadyInVain() {
        TestGuests.assumeKvm();
        // The "serial" test guest greets on COM1 and powers off within its first milliseconds.
        MachineSpec spec = MachineSpec.builder(GuestTestSupport.elf("serial")).memoryPerNodeMib(64).build();
        try (Machine m = new KvmBackend().boot(spec)) {
            assertTimeoutPreemptively(Duration.ofSeconds(2),
                    () -> assertThat(m.control().in().read()).as("the control port ends with the guest").isEqualTo(-1));
            assertThat(m.exitReason()).contains(ExitReason.POWEROFF);
            assertThat(m.consoleTail()).contains("hello from a jktstr test guest");
        }
    }

    @Test
    void bootingSomethingThatIsNotAKernelIsATypedError(@TempDir Path dir) throws Exception {
        Path junk = Files.writeString(dir.resolve("junk"), "junk");
        assertThatThrownBy(() -> new KvmBackend().boot(MachineSpec.builder(junk).build()))
                .isInstanceOf(KernelLoadException.class);
    }

    @BootsVm
    @Test
    void bootsTheSharedKernelAndPausesIt() {
        TestGuests.assumeKvm();
        MachineSpec spec = MachineSpec.builder(sharedBzImage()).topology(new Topology(1, 1, 2, 1)).memoryPerNodeMib(256).build();
        try (Machine m = new KvmBackend().boot(spec)) {
            m.pause();
            assertThat(m.registers(0).cr3()).isNotZero();
            assertThat(m.registers(0).get("EFER").orElseThrow() & (1 << 10)).as("long mode active").isNotZero();
            m.resume();
            assertThat(m.control().name()).isEqualTo(MachineSpec.CONTROL_PORT);
            assertThatThrownBy(() -> m.port("nope")).isInstanceOf(MachineStateException.class).hasMessageContaining("jktstr.ctl");
            assertThat(m.exitReason()).isNotEqualTo(java.util.Optional.of(ExitReason.CRASHED));
            ExitReason now = m.awaitExit(Duration.ofMillis(1));
            if (HostVirtualization.host().kind() == HostVirtualization.Kind.PVM) {
                assumeTrue(now == ExitReason.TIMEOUT, "PVM (kvm_pvm): stock Linux does not get through early boot (it ended: " + now + ")");
            }
            assertThat(now).as("the guest still runs").isEqualTo(ExitReason.TIMEOUT);
        }
    }
}
