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
        assertThat(boot.machine.kernel).isEqualTo("/k");
        assertThat(boot.machine.topology).isEqualTo("2,2,2,1");
        assertThat(boot.machine.memoryMib).isEqualTo(256);
        assertThat(boot.machine.backend).isEqualTo("qemu:tcg");
        ShellCommand shell = new ShellCommand();
        new CommandLine(shell).parseArgs("--exec", "echo hi");
        assertThat(shell.exec).isEqualTo("echo hi");
        assertThat(shell.machine.topology).isEqualTo("1,1,2,1");
    }
}
