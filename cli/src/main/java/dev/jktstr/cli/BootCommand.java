package dev.jktstr.cli;

import dev.jktstr.guest.GuestSession;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.machine.GuestText;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code jktstr boot}: boots a guest, prints its boot time and its own view of its topology, powers off. */
@Command(name = "boot", mixinStandardHelpOptions = true,
        description = "Boot a guest, print the boot time and the guest's view of its CPU topology, then power off.")
public final class BootCommand implements Callable<Integer> {

    @Mixin
    MachineOptions machine;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** One line per sysfs file the view needs, "path=value", read through the agent. */
    static final String TOPOLOGY_DUMP = """
            cd /sys/devices/system; \
            for f in cpu/cpu[0-9]*/topology/physical_package_id cpu/cpu[0-9]*/topology/thread_siblings_list \
              cpu/cpu[0-9]*/cache/index3/shared_cpu_list node/node[0-9]*/cpulist node/node[0-9]*/distance; \
            do [ -r $f ] && echo "$f=$(cat $f)"; done; true""";

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (GuestSession guest = GuestBoot.start(machine, "")) {
            out.printf("booted Linux %s on %s in %d ms (VMM start to agent ready; agent started at guest uptime %d ms)%n",
                    guest.agent().kernelRelease(), guest.machine().backendName(), guest.bootToReady().toMillis(),
                    guest.agent().agentBootTime().toMillis());
            ExecResult r = guest.agent().exec(TOPOLOGY_DUMP);
            out.print(GuestText.lines(describe(parse(r.stdoutText())), 64 << 10)); // sysfs values are the guest's
            out.flush();
            guest.powerOff(java.time.Duration.ofSeconds(10));
        }
        return 0;
    }

    static Map<String, String> parse(String dump) {
        Map<String, String> sys = new TreeMap<>();
        for (String line : dump.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                sys.put(line.substring(0, eq), line.substring(eq + 1).strip());
            }
        }
        return sys;
    }

    /** A short lscpu-like summary of the guest's sysfs topology. */
    static String describe(Map<String, String> sys) {
        Map<Integer, String> packages = new TreeMap<>();
        Set<String> llcs = new LinkedHashSet<>();
        Set<String> cores = new LinkedHashSet<>();
        for (Map.Entry<String, String> e : sys.entrySet()) {
            String k = e.getKey();
            if (!k.startsWith("cpu/cpu")) {
                continue;
            }
            int cpu = Integer.parseInt(k.substring("cpu/cpu".length(), k.indexOf('/', "cpu/cpu".length())));
            if (k.endsWith("physical_package_id")) {
                packages.put(cpu, e.getValue());
            }
        }
        int cpus = packages.size();
        List<String> pkgOfCpu = new ArrayList<>();
        for (int cpu = 0; cpu < cpus; cpu++) {
            String p = "cpu/cpu" + cpu + "/";
            llcs.add(sys.getOrDefault(p + "cache/index3/shared_cpu_list", "?"));
            cores.add(sys.getOrDefault(p + "topology/thread_siblings_list", "?"));
            pkgOfCpu.add(packages.get(cpu));
        }
        StringBuilder sb = new StringBuilder();
        List<String> nodes = sys.keySet().stream().filter(k -> k.endsWith("/cpulist")).toList();
        sb.append(String.format("guest topology: %d CPUs, %d NUMA nodes, %d LLCs, %d cores%n", cpus, nodes.size(),
                llcs.size(), cores.size()));
        for (String n : nodes) {
            String node = n.substring("node/".length(), n.indexOf('/', "node/".length()));
            sb.append(String.format("  %s: cpus %s, distances %s%n", node, sys.get(n),
                    sys.getOrDefault("node/" + node + "/distance", "?")));
        }
        sb.append("  LLCs (cache/index3/shared_cpu_list): ").append(String.join("  ", llcs)).append('\n');
        sb.append("  cores (thread_siblings_list):        ").append(String.join("  ", cores)).append('\n');
        sb.append("  package id per CPU:                  ").append(String.join(" ", pkgOfCpu)).append('\n');
        return sb.toString();
    }
}
