package dev.jktstr.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.guest.GuestSession;
import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Boots each topology once and compares the guest kernel's own /sys view with the request. Under QEMU
 * package ids follow LLCs (one socket per LLC), which is the mapping this backend documents.
 */
@BootsVm
class QemuTopologyTest {

    private static GuestImage image;

    @BeforeAll
    static void buildImage() {
        TestGuests.assumeQemu();
        TestGuests.bzImage();
        image = TestGuests.image();
    }

    @AfterAll
    static void removeImage() {
        if (image != null) {
            image.close();
        }
    }

    /** Dumps every file the assertions need as "path=value" lines, in one agent round trip. */
    private static final String SYS_DUMP = """
            cd /sys/devices/system; \
            for f in cpu/cpu[0-9]*/topology/core_id cpu/cpu[0-9]*/topology/physical_package_id \
              cpu/cpu[0-9]*/topology/thread_siblings_list cpu/cpu[0-9]*/topology/core_siblings_list \
              cpu/cpu[0-9]*/cache/index3/shared_cpu_list node/node[0-9]*/cpulist node/node[0-9]*/distance cpu/online; \
            do echo "$f=$(cat $f)"; done""";

    @ParameterizedTest
    @ValueSource(strings = {"1,1,1,1", "1,2,2,2", "2,2,2,1"})
    void guestSeesTheRequestedTopology(String text) {
        Topology t = Topology.parse(text);
        MachineSpec spec = MachineSpec.builder(TestGuests.bzImage()).initramfs(image.initramfs())
                .topology(t).memoryPerNodeMib(256).commandLine("quiet").build();
        try (GuestSession s = GuestSession.boot(TestGuests.tcg(), spec, TestGuests.READY_TIMEOUT)) {
            System.out.printf("topology %s: boot to agent ready %d ms (guest uptime at agent start %d ms)%n",
                    t, s.bootToReady().toMillis(), s.agent().agentBootTime().toMillis());
            ExecResult r = TestGuests.sh(s, SYS_DUMP);
            assertThat(r.succeeded()).as("sys dump: %s %s", r, r.stderrText()).isTrue();
            Map<String, String> sys = new HashMap<>();
            for (String line : r.stdoutText().split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    sys.put(line.substring(0, eq), line.substring(eq + 1).strip());
                }
            }
            assertThat(sys.get("cpu/online")).as("online CPUs").isEqualTo(Topology.cpuList(IntStream.range(0, t.cpuCount()).boxed().toList()));
            assertMatches(t, sys);
        }
    }

    private static void assertMatches(Topology t, Map<String, String> sys) {
        long cpuDirs = sys.keySet().stream().filter(k -> k.endsWith("/topology/core_id")).count();
        assertThat(cpuDirs).as("CPU count").isEqualTo(t.cpuCount());
        for (int cpu = 0; cpu < t.cpuCount(); cpu++) {
            String p = "cpu/cpu" + cpu + "/";
            int llc = t.llcOf(cpu);
            assertThat(sys.get(p + "topology/physical_package_id")).as("package of cpu %d", cpu)
                    .isEqualTo(String.valueOf(llc));
            assertThat(sys.get(p + "topology/core_id")).as("core_id of cpu %d", cpu)
                    .isEqualTo(String.valueOf(t.coreOf(cpu) % t.coresPerLlc()));
            assertThat(sys.get(p + "topology/thread_siblings_list")).as("thread siblings of cpu %d", cpu)
                    .isEqualTo(Topology.cpuList(t.cpusOfCore(t.coreOf(cpu))));
            assertThat(sys.get(p + "topology/core_siblings_list")).as("core siblings (package) of cpu %d", cpu)
                    .isEqualTo(Topology.cpuList(t.cpusOfLlc(llc)));
            assertThat(sys.get(p + "cache/index3/shared_cpu_list")).as("LLC of cpu %d", cpu)
                    .isEqualTo(Topology.cpuList(t.cpusOfLlc(llc)));
        }
        for (int node = 0; node < t.numaNodes(); node++) {
            assertThat(sys.get("node/node" + node + "/cpulist")).as("cpulist of node %d", node)
                    .isEqualTo(Topology.cpuList(t.cpusOfNode(node)));
            StringBuilder want = new StringBuilder();
            for (int other = 0; other < t.numaNodes(); other++) {
                want.append(other == 0 ? "" : " ").append(other == node ? 10 : 20);
            }
            assertThat(sys.get("node/node" + node + "/distance")).as("distances of node %d", node).isEqualTo(want.toString());
        }
        assertThat(sys.keySet().stream().filter(k -> k.endsWith("/cpulist")).count()).as("node count")
                .isEqualTo(t.numaNodes());
    }

}
