package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BootCommandTest {

    @Test
    void summarisesTheGuestSysfsView() {
        String dump = """
                cpu/cpu0/topology/physical_package_id=0
                cpu/cpu1/topology/physical_package_id=0
                cpu/cpu2/topology/physical_package_id=1
                cpu/cpu3/topology/physical_package_id=1
                cpu/cpu0/topology/thread_siblings_list=0
                cpu/cpu1/topology/thread_siblings_list=1
                cpu/cpu2/topology/thread_siblings_list=2
                cpu/cpu3/topology/thread_siblings_list=3
                cpu/cpu0/cache/index3/shared_cpu_list=0-1
                cpu/cpu1/cache/index3/shared_cpu_list=0-1
                cpu/cpu2/cache/index3/shared_cpu_list=2-3
                cpu/cpu3/cache/index3/shared_cpu_list=2-3
                node/node0/cpulist=0-1
                node/node1/cpulist=2-3
                node/node0/distance=10 20
                node/node1/distance=20 10
                """;
        String text = BootCommand.describe(BootCommand.parse(dump));
        assertThat(text).contains("4 CPUs, 2 NUMA nodes, 2 LLCs, 4 cores")
                .contains("node0: cpus 0-1, distances 10 20")
                .contains("node1: cpus 2-3, distances 20 10")
                .contains("0-1  2-3")
                .contains("0 0 1 1");
    }

    @Test
    void machineOptionsParse() {
        BootCommand boot = new BootCommand();
        new CommandLine(boot).parseArgs("--kernel", "/k", "--topology", "2,2,2,1", "--memory", "256", "--backend", "qemu:tcg");
        assertThat(boot.machine.kernels).containsExactly("/k");
        assertThat(boot.machine.topology).isEqualTo("2,2,2,1");
        assertThat(boot.machine.memoryPerNodeMib()).isEqualTo(256L);
        assertThat(boot.machine.backend).isEqualTo("qemu:tcg");
        ShellCommand shell = new ShellCommand();
        new CommandLine(shell).parseArgs("--exec", "echo hi");
        assertThat(shell.exec).isEqualTo("echo hi");
        assertThat(shell.machine.topology).isEqualTo("1,1,2,1");
        assertThat(shell.machine.memoryPerNodeMib()).isEqualTo(512L);
        // A preset name is a topology; without --memory its VM gets the preset's RAM, split over its nodes.
        BootCommand numa = new BootCommand();
        new CommandLine(numa).parseArgs("--topology", "numa2-4llc");
        assertThat(dev.jktstr.machine.Topology.parse(numa.machine.topology))
                .isEqualTo(new dev.jktstr.machine.Topology(2, 2, 4, 1));
        assertThat(numa.machine.memoryPerNodeMib()).isEqualTo(1024L);
    }

    @Test
    void topoListsEveryPresetWithItsShape() {
        java.io.StringWriter out = new java.io.StringWriter();
        CommandLine cl = Jktstr.commandLine();
        cl.setOut(new java.io.PrintWriter(out));
        assertThat(cl.execute("topo")).isZero();
        assertThat(out.toString().lines()).hasSize(25)
                .anyMatch(l -> l.matches("odd-3llc\\s+1,3,3,1\\s+9\\s+3\\s+1\\s+2048 MiB\\s+9 CPUs, 3 LLCs \\(odd\\)"))
                .anyMatch(l -> l.matches("numa4-12llc\\s+4,3,8,2\\s+192\\s+12\\s+4\\s+4096 MiB.*"));
    }
}
