package dev.jktstr.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {

    private static final QemuCommandLine.Paths PATHS = new QemuCommandLine.Paths(Path.of("/t/qmp.sock"),
            Path.of("/t/serial.sock"), Path.of("/t/ctl.sock"), List.of(Path.of("/t/port0.sock")));

    @Test
    void oneSocketPerLlcAndOneMemfdPerNode() {
        MachineSpec spec = MachineSpec.builder(Path.of("/k/bzImage")).initramfs(Path.of("/i.cpio.gz"))
                .topology(new Topology(2, 2, 2, 1)).memoryPerNodeMib(256).commandLine("quiet")
                .distances(List.of(List.of(10, 21), List.of(21, 10))).addConsolePort("trace").addDisk(Path.of("/d/disk,1.img")).build();
        String line = String.join(" ", QemuCommandLine.build(Path.of("/usr/bin/qemu-system-x86_64"),
                QemuBackend.Accel.TCG, spec, PATHS, "vm"));
        assertThat(line)
                .contains("-smp cpus=8,sockets=4,dies=1,cores=2,threads=1")
                .contains("-m 512M")
                .contains("-object memory-backend-memfd,id=ram-node0,size=256M,share=on")
                .contains("-object memory-backend-memfd,id=ram-node1,size=256M,share=on")
                .doesNotContain("mem-path").doesNotContain("memory-backend-file")
                .contains("-numa node,nodeid=0,cpus=0-3,memdev=ram-node0")
                .contains("-numa node,nodeid=1,cpus=4-7,memdev=ram-node1")
                .contains("-numa dist,src=0,dst=1,val=21").contains("-numa dist,src=1,dst=0,val=21")
                .contains("-accel tcg,thread=single -cpu max")
                .contains("-append console=ttyS0 panic=-1 no_timer_check quiet")
                .contains("-initrd /i.cpio.gz")
                .contains("-name vm,debug-threads=on")
                .contains("-no-reboot").contains("-S")
                .contains("virtserialport,bus=vser0.0,chardev=ctl,name=jktstr.ctl")
                .contains("virtserialport,bus=vser0.0,chardev=port0,name=trace")
                .contains("-drive file=/d/disk,,1.img,format=raw,if=virtio");
    }

    @Test
    void kvmUsesTheHostCpuAndOneNodeHasNoDistances() {
        MachineSpec spec = MachineSpec.builder(Path.of("/k/bzImage")).build();
        String line = String.join(" ", QemuCommandLine.build(Path.of("qemu"), QemuBackend.Accel.KVM, spec,
                new QemuCommandLine.Paths(Path.of("/q"), Path.of("/s"), Path.of("/c"), List.of()),
                "vm"));
        assertThat(line).contains("-accel kvm -cpu host").contains("-smp cpus=1,sockets=1,dies=1,cores=1,threads=1")
                .doesNotContain("dist,").doesNotContain("-initrd");
    }
}
