package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.guest.GuestSession;
import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.kconfig.KernelLookup;
import dev.jktstr.kvm.Kvm;
import dev.jktstr.kvm.KvmBackend;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import dev.jktstr.qemu.QemuBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The guest agent answers over {@code jktstr.ctl} on our VMM (virtio-mmio console written in Java)
 * exactly as it does on QEMU (virtio-serial-pci): the same questions asked of both guests get the
 * same answers. Needs real KVM (hardware, or the nested proving ground: {@code jktstr nested-kvm}); on PVM
 * hosts Linux runs emulated on our VMM and the test skips.
 */
@BootsVm
class AgentOnBothBackendsTest {

    /** What the agent is asked; answers that depend on the VMM (device paths, timing) are left out. */
    private static List<String> questions(AgentClient agent) {
        List<String> answers = new ArrayList<>();
        answers.add("release " + agent.kernelRelease());
        answers.add("mount failures " + agent.mountFailures());
        answers.add(agent.exec("nproc; cat /sys/devices/system/cpu/online; cat /sys/class/virtio-ports/*/name | sort")
                .stdoutText());
        var r = agent.exec("cat /sys/devices/system/cpu/cpu1/topology/core_id; echo x >/tmp/f; cat /tmp/f; echo err >&2; exit 3");
        answers.add(r.exitCode() + " " + r.stdoutText() + " " + r.stderrText());
        agent.writeFile("/tmp/blob", new byte[200_000], 0644);
        answers.add("blob " + agent.readFile("/tmp/blob").length);
        return answers;
    }

    @Test
    void sameAnswersOverOurConsoleAndQemus() throws Exception {
        Path kvm = Path.of("/dev/kvm");
        assumeTrue(Files.isReadable(kvm) && Files.isWritable(kvm), "/dev/kvm missing or not accessible: needs real KVM "
                + "(run it through `jktstr nested-kvm`)");
        assumeTrue(!Kvm.isPvm(), "/dev/kvm is PVM (kvm_pvm): Linux on our VMM needs real KVM (run it through `jktstr nested-kvm`)");
        try (GuestImage image = GuestImage.builder().withBusybox(true).build()) {
            MachineSpec spec = MachineSpec.builder(KernelLookup.standard().find().image()).initramfs(image.initramfs())
                    .topology(new Topology(1, 1, 2, 1)).memoryPerNodeMib(256).commandLine("quiet").startTimeout(Duration.ofMinutes(10)).build();
            List<String> ours = ask(new KvmBackend(), spec);
            List<String> qemu = ask(new QemuBackend(null, QemuBackend.Accel.KVM), spec);
            assertThat(ours).isEqualTo(qemu);
            assertThat(ours.get(2)).contains("jktstr.ctl");
        }
    }

    private static List<String> ask(MachineBackend backend, MachineSpec spec) {
        try (GuestSession guest = GuestSession.boot(backend, spec, Duration.ofMinutes(10))) {
            return questions(guest.agent());
        } catch (RuntimeException e) {
            throw new AssertionError(backend.name() + ": " + e.getMessage(), e);
        }
    }
}
