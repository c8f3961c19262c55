package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.BootsVm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One QEMU TCG guest with two NUMA nodes of one CPU each (2,1,1,1), under EEVDF: memory policies per cgroup (the
 * guest's /proc/PID/numa_maps and /proc/PID/status are the oracle), the canned nested-steady scenario, the live
 * progress a run reports, and the global DSQ check skipped for want of a sched_ext scheduler.
 */
@BootsVm
class NumaNestedEndToEndTest {
    private static Ctx ctx;

    static Ctx ctx() {
        if (ctx == null) {
            ctx = TestAssets.vm().topology(2, 1, 1, 1).scheduler(Scheduler.eevdf()).boot();
        }
        return ctx;
    }

    @AfterAll
    static void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    /** Per worker of a cgroup, read in the guest while the run holds: "<numa_maps policy> <Mems_allowed_list>" lines. */
    private static String policiesIn(Ctx c, String cgroup) {
        return c.agent().exec("for p in $(cat /sys/fs/cgroup/" + cgroup + "/cgroup.procs); do "
                + "echo \"$(head -1 /proc/$p/numa_maps | cut -d' ' -f2) $(grep Mems_allowed_list /proc/$p/status | cut -f2)\"; done")
                .stdoutText();
    }

    /** The first numa_maps line of each worker without its address (a policy may hold a space: "prefer (many)=..."). */
    private static String fullPoliciesIn(Ctx c, String cgroup) {
        return c.agent().exec("for p in $(cat /sys/fs/cgroup/" + cgroup + "/cgroup.procs); do "
                + "head -1 /proc/$p/numa_maps | cut -d' ' -f2-; done").stdoutText();
    }

    @Test
    void memoryPoliciesReachTheWorkers(@TempDir Path dir) {
        Ctx c = ctx();
        Map<String, MemoryPolicy> policies = new LinkedHashMap<>();
        policies.put("bound", MemoryPolicy.bind(1));
        policies.put("spread", MemoryPolicy.interleave(0, 1));
        policies.put("pref", MemoryPolicy.preferred(0));
        policies.put("loc", MemoryPolicy.local());
        // Linux 5.15 and 6.9 modes (the test kernel is 6.12)
        Map<String, MemoryPolicy> newer = new LinkedHashMap<>();
        newer.put("many", MemoryPolicy.preferredMany(0, 1));
        newer.put("weighted", MemoryPolicy.weightedInterleave(0, 1));
        List<CgroupDef> defs = new ArrayList<>();
        newer.forEach((name, p) -> defs.add(CgroupDef.named(name).memoryPolicy(p)));
        // the bound workers write 2 MiB each: their pages show where bind put them
        policies.forEach((name, p) -> defs.add(CgroupDef.named(name).workers(name.equals("bound") ? 2 : 1)
                .work(name.equals("bound") ? WorkType.cachePressure(2048) : WorkType.spinWait()).memoryPolicy(p)));
        Map<String, String> seen = new LinkedHashMap<>();
        StringBuilder boundMaps = new StringBuilder();
        c.onProgress(p -> {
            if (seen.isEmpty() && p.elapsed().toMillis() > 1000) {
                policies.keySet().forEach(n -> seen.put(n, policiesIn(c, n)));
                newer.keySet().forEach(n -> seen.put(n, fullPoliciesIn(c, n)));
                boundMaps.append(c.agent().exec("for p in $(cat /sys/fs/cgroup/bound/cgroup.procs); do cat /proc/$p/numa_maps; done")
                        .stdoutText());
                seen.put("mems", c.agent().exec("cat /sys/fs/cgroup/bound/cpuset.mems /sys/fs/cgroup/bound/cpuset.mems.effective")
                        .stdoutText());
            }
        });
        RunResult r;
        try {
            r = Scenarios.execute(c, defs);
        } finally {
            c.onProgress(null);
        }
        r.write(dir.resolve("numa.json"));
        System.out.println("memory policies:\n" + r.verdict().table() + seen);
        assertThat(r.outcome()).as(r.verdict().reason()).isEqualTo(Outcome.PASS);
        assertThat(seen).as("read while holding").isNotEmpty();
        assertThat(seen.get("bound").lines().toList()).hasSize(2).containsOnly("bind=static:1 1");
        assertThat(seen.get("spread").lines().toList()).containsExactly("interleave=static:0-1 0-1");
        assertThat(seen.get("pref").lines().toList()).containsExactly("prefer=static:0 0-1");
        assertThat(seen.get("loc").lines().toList()).containsExactly("local 0-1");
        assertThat(seen.get("mems").lines().toList()).containsExactly("1", "1");
        policies.forEach((n, p) -> assertThat(seen.get(n)).startsWith(p.kernelForm() + " "));
        assertThat(seen.get("many")).startsWith("prefer (many)=static:0-1 ");
        assertThat(seen.get("weighted")).startsWith("weighted interleave=static:0-1 ");
        // the 2 MiB buffer (512 pages, the largest anonymous mapping) of each bound worker lies on node 1 only
        List<String> buffers = boundMaps.toString().lines().filter(l -> l.contains("anon=512 ") || l.contains("anon=513 ")).toList();
        assertThat(buffers).as(boundMaps.toString()).hasSize(2).allSatisfy(l -> assertThat(l).contains(" N1=").doesNotContain(" N0="));
    }

    @Test
    void nestedSteadyPassesAndReportsLiveProgress(@TempDir Path dir) {
        Ctx c = ctx();
        List<Ctx.Progress> progress = new ArrayList<>();
        Map<String, String> effective = new LinkedHashMap<>();
        c.onProgress(p -> {
            progress.add(p);
            if (effective.isEmpty() && p.elapsed().toMillis() > 1000) {
                for (String cg : List.of("nest_0/leaf_0", "nest_0/leaf_1", "nest_1/leaf_0", "nest_1/leaf_1")) {
                    effective.put(cg, c.agent().exec("cat /sys/fs/cgroup/" + cg + "/cpuset.cpus.effective").stdoutText().strip());
                }
            }
        });
        RunResult r;
        try {
            r = Scenarios.run(c, Scenarios.byName("nested-steady"));
        } finally {
            c.onProgress(null);
        }
        r.write(dir.resolve("nested.json"));
        System.out.println("nested-steady:\n" + r.verdict().table() + effective);
        assertThat(r.outcome()).as(r.verdict().reason()).isEqualTo(Outcome.PASS);
        assertThat(r.cgroups()).extracting(CgroupStats::name)
                .containsExactlyInAnyOrder("nest_0/leaf_0", "nest_0/leaf_1", "nest_1/leaf_0", "nest_1/leaf_1");
        // the parents' cpusets reach the leaves: the guest says so, and so do the CPUs the workers ran on
        assertThat(effective).containsEntry("nest_0/leaf_0", "0").containsEntry("nest_0/leaf_1", "0")
                .containsEntry("nest_1/leaf_0", "1").containsEntry("nest_1/leaf_1", "1");
        assertThat(r.cgroup("nest_0/leaf_0").cpusUsed()).containsExactly(0);
        assertThat(r.cgroup("nest_1/leaf_1").cpusUsed()).containsExactly(1);
        assertThat(r.verdict().claims()).filteredOn(cl -> cl.label().endsWith(".workersOutsideCpuset")).hasSize(4)
                .allSatisfy(cl -> assertThat(cl.outcome()).isEqualTo(Outcome.PASS));
        // under EEVDF the global DSQ check is skipped with its reason, and does not change the outcome
        assertThat(r.verdict().claims()).filteredOn(cl -> cl.label().equals("monitor.maxGlobalDsqDepth")).singleElement()
                .satisfies(cl -> {
                    assertThat(cl.outcome()).isEqualTo(Outcome.SKIP);
                    assertThat(cl.detail()).contains("EEVDF");
                });
        // live progress: work counts only grow, and grow while the run holds
        List<Long> units = progress.stream().map(p -> p.live().workUnits()).toList();
        System.out.println("live work units: " + units);
        assertThat(units).isSorted();
        assertThat(units.getLast()).isGreaterThan(units.getFirst());
        assertThat(progress.stream().map(p -> p.live().workUnits()).distinct().count()).isGreaterThanOrEqualTo(2);
        Ctx.Progress last = progress.getLast();
        assertThat(last.live().workers()).isEqualTo(4);
        assertThat(last.live().workRate()).isPositive();
        assertThat(last.live().worstGapMs()).isPositive();
        assertThat(last.live().imbalance()).isNotNegative();
        assertThat((double) units.getLast()).isLessThanOrEqualTo(r.cgroups().stream().mapToDouble(CgroupStats::totalWorkUnits).sum());
    }
}
