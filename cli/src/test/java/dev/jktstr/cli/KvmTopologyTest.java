package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.guest.GuestSession;
import dev.jktstr.testsupport.BootsVm;
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
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The topology a guest sees from inside on our VMM — CPUs, thread siblings, the CPUs sharing each LLC
 * ({@code cache/index3/shared_cpu_list}), NUMA nodes and their distances — is exactly what QEMU+KVM
 * gives the same spec. QEMU is the oracle; the guest's own /sys is what both are read through. Needs
 * real KVM (hardware, or the nested proving ground: {@code jktstr nested-kvm}).
 */
@BootsVm
class KvmTopologyTest {

    private static GuestImage image;

    @BeforeAll
    static void image() {
        image = GuestImage.builder().withBusybox(true).build();
    }

    @AfterAll
    static void close() {
        if (image != null) {
            image.close();
        }
    }

    /** Per CPU: siblings and LLC group; per node: CPUs and distances. Nothing that names a VMM. */
    static final String READ_TOPOLOGY = """
            echo "online $(cat /sys/devices/system/cpu/online)"
            for c in /sys/devices/system/cpu/cpu[0-9]*; do
              n=${c##*/}
              echo "$n threads $(cat $c/topology/thread_siblings_list)"
              echo "$n llc $(cat $c/cache/index3/shared_cpu_list 2>/dev/null || echo none)"
            done | sort -V
            for d in /sys/devices/system/node/node[0-9]*; do
              echo "${d##*/} cpus $(cat $d/cpulist) distance $(cat $d/distance)"
            done | sort -V
            """;

    @ParameterizedTest(name = "topology {0}")
    @ValueSource(strings = {"1,1,1,1", "1,2,2,2", "2,2,2,1", "1,4,2,1"})
    void sysShowsTheRequestedTopologyAsUnderQemu(String topology) {
        Path kvm = Path.of("/dev/kvm");
        assumeTrue(Files.isReadable(kvm) && Files.isWritable(kvm), "/dev/kvm missing or not accessible: needs real KVM "
                + "(run it through `jktstr nested-kvm`)");
        assumeTrue(!Kvm.isPvm(), "/dev/kvm is PVM (kvm_pvm): Linux on our VMM needs real KVM (run it through `jktstr nested-kvm`)");
        Topology t = Topology.parse(topology);
        MachineSpec spec = MachineSpec.builder(KernelLookup.standard().find().image()).initramfs(image.initramfs())
                .topology(t).memoryPerNodeMib(256).commandLine("quiet").startTimeout(Duration.ofMinutes(10)).build();
        List<String> ours = read(new KvmBackend(), spec);
        List<String> qemu = read(new QemuBackend(null, QemuBackend.Accel.KVM), spec);
        if (preZenAmdHost()) {
            // Linux takes the LLC of an AMD CPU before family 0x17 from 0x8000001E's NodeId, which our VMM keeps
            // as the NUMA node (making it the LLC's hung a 1,4,2,1 guest): there the LLC lines cannot match.
            System.out.println("KvmTopologyTest: AMD CPU family < 0x17 (QEMU's TCG CPU in the proving ground): LLC lines "
                    + "not compared; ours " + ours.stream().filter(l -> l.contains(" llc ")).toList());
            ours = ours.stream().filter(l -> !l.contains(" llc ")).toList();
            qemu = qemu.stream().filter(l -> !l.contains(" llc ")).toList();
            assertThat(ours).as("our VMM's /sys against QEMU+KVM's, LLC lines aside").isEqualTo(qemu);
            return;
        }
        assertThat(ours).as("our VMM's /sys against QEMU+KVM's").isEqualTo(qemu);
        assertThat(ours.getFirst()).isEqualTo(t.cpuCount() == 1 ? "online 0" : "online 0-" + (t.cpuCount() - 1));
        assertThat(ours.stream().filter(l -> l.matches("node\\d+ cpus .*"))).hasSize(t.numaNodes());
        long llcGroups = ours.stream().filter(l -> l.contains(" llc ")).map(l -> l.substring(l.indexOf(" llc "))).distinct().count();
        assertThat(llcGroups).as("distinct LLC groups").isEqualTo(t.llcCount());
    }

    /** /proc/cpuinfo says AuthenticAMD with a family below 0x17 (Zen). */
    static boolean preZenAmdHost() {
        try {
            String info = java.nio.file.Files.readString(Path.of("/proc/cpuinfo"));
            boolean amd = info.contains("AuthenticAMD");
            int family = info.lines().filter(l -> l.startsWith("cpu family")).map(l -> l.replaceAll("\\D", ""))
                    .filter(x -> !x.isEmpty()).mapToInt(Integer::parseInt).findFirst().orElse(0x17);
            return amd && family < 0x17;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static List<String> read(MachineBackend backend, MachineSpec spec) {
        try (GuestSession guest = GuestSession.boot(backend, spec, Duration.ofMinutes(10))) {
            return guest.agent().exec(READ_TOPOLOGY).stdoutText().lines().toList();
        } catch (RuntimeException e) {
            throw new AssertionError(backend.name() + ": " + e.getMessage(), e);
        }
    }
}
