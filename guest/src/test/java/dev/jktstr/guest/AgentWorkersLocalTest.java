package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The real agent's workers (--stdio on the host, so no cgroups): two-phase start, stop, telemetry. */
class AgentWorkersLocalTest {
    private static LocalAgent agent;

    @BeforeAll
    static void start() throws Exception {
        agent = new LocalAgent();
    }

    @AfterAll
    static void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
    }

    private static List<WorkerTelemetry> run(WorkerRequest request, long millis) throws InterruptedException {
        WorkerGroup g = agent.client.spawnWorkers(request);
        assertThat(g.pids()).hasSize(request.count()).doesNotHaveDuplicates();
        agent.client.startWorkers(g);
        Thread.sleep(millis);
        awaitActivity(g.pids());
        return agent.client.stopWorkers(g, Duration.ofSeconds(5));
    }

    /**
     * The host is shared and may not run a released worker for a while: wait (up to 60 s) until the kernel says each
     * worker has done something — 5 ms on a CPU or 20 context switches (the workers are host processes here).
     */
    private static void awaitActivity(List<Integer> pids) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        for (int pid : pids) {
            while (System.nanoTime() < deadline && !active(pid)) {
                Thread.sleep(20);
            }
        }
    }

    private static long voluntarySwitches(int pid) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                    .filter(l -> l.startsWith("voluntary_ctxt_switches:"))
                    .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim())).sum();
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE;
        }
    }

    private static boolean active(int pid) {
        try {
            long runNs = Long.parseLong(Files.readString(Path.of("/proc/" + pid + "/schedstat")).trim().split(" ")[0]);
            long switches = Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                    .filter(l -> l.endsWith("ctxt_switches:") || l.contains("ctxt_switches:"))
                    .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim())).sum();
            return runNs > 5_000_000L || switches > 20;
        } catch (IOException | RuntimeException e) {
            return true; // gone: nothing to wait for
        }
    }

    /**
     * Every type but SEQUENCE (its own test) and those that would reach outside these host processes: the workers run on
     * the host here, as the user running the tests, so no cgroup churn in the host's tree and no SCHED_FIFO hog on a
     * shared machine, and no block I/O (the agent in --stdio mode refuses it: /dev/vda here is the host's disk; see
     * ioTypesNeverTouchTheHostsDisk). The guest test (WorkTypesVmTest in scenario-api) runs those.
     */
    @ParameterizedTest
    @EnumSource(value = WorkloadType.class, names = {"SEQUENCE", "RT_STARVATION", "CGROUP_CHURN", "CGROUP_ATTACH_STORM",
            "IO_SYNC_WRITE", "IO_RAND_READ", "IO_CONVOY", "CUSTOM"},
            mode = EnumSource.Mode.EXCLUDE)
    void everyWorkTypeRunsAndReports(WorkloadType type) throws InterruptedException {
        List<WorkerTelemetry> t = run(WorkerRequest.of("", 2, type), 300);
        assertThat(t).hasSize(2).allSatisfy(w -> {
            assertThat(w.finished()).isTrue();
            assertThat(w.iterations()).as("iterations of %s", type).isPositive();
            assertThat(w.workUnits()).isPositive();
            assertThat(w.wallNanos()).isPositive();
            assertThat(w.cpusUsed()).isNotEmpty();
            assertThat(w.wakeP50Nanos()).isLessThanOrEqualTo(w.wakeP99Nanos());
            assertThat(w.wakeP99Nanos()).isLessThanOrEqualTo(w.wakeMaxNanos());
            assertThat(w.voluntarySwitches() + w.involuntarySwitches()).isPositive();
        });
    }

    /** The I/O types' disk is the guest's scratch disk: on the host (--stdio) they idle, doing no I/O at all. */
    @Test
    void ioTypesNeverTouchTheHostsDisk() throws InterruptedException {
        for (WorkloadType type : List.of(WorkloadType.IO_SYNC_WRITE, WorkloadType.IO_RAND_READ, WorkloadType.IO_CONVOY)) {
            WorkerGroup g = agent.client.spawnWorkers(WorkerRequest.of("", 2, type));
            agent.client.startWorkers(g);
            Thread.sleep(200);
            assertThat(agent.client.stopWorkers(g, Duration.ofSeconds(5))).as(type.name())
                    .allSatisfy(w -> assertThat(w.workUnits()).isZero());
        }
    }

    /** CUSTOM runs the named executable (here a host one: /bin/sh spinning) and counts its CPU time, not the worker's. */
    @Test
    void customRunsTheExecutableAndTakesItsSchedstat() throws InterruptedException {
        java.nio.file.Path sh = java.nio.file.Path.of("/bin/sh");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(sh), "no /bin/sh");
        assertThatThrownBy(() -> WorkerRequest.of("", 1, WorkloadType.CUSTOM)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CUSTOM");
        // /bin/sh with no arguments reads stdin (/dev/null) and exits at once: runs again and again, little CPU
        WorkerGroup g = agent.client.spawnWorkers(new WorkerRequest("", 1, WorkloadType.CUSTOM, 0, 0, 0, -1, new BitSet(),
                List.of(), java.util.Optional.empty(), java.util.Optional.of("/bin/sh")));
        agent.client.startWorkers(g);
        Thread.sleep(300);
        awaitActivity(g.pids());
        WorkerTelemetry w = agent.client.stopWorkers(g, Duration.ofSeconds(5)).get(0);
        assertThat(w.finished()).isTrue();
        assertThat(w.iterations()).isPositive();
        assertThat(w.timeslices()).as("the runs' timeslices count").isPositive();
        assertThatThrownBy(() -> agent.client.spawnWorkers(new WorkerRequest("", 1, WorkloadType.CUSTOM, 0, 0, 0, -1,
                new BitSet(), List.of(), java.util.Optional.empty(), java.util.Optional.of("relative/path"))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void spinWaitBurnsCpuAndHasSchedstat() throws InterruptedException {
        List<WorkerTelemetry> t = run(WorkerRequest.of("", 1, WorkloadType.SPIN_WAIT), 400);
        WorkerTelemetry w = t.get(0);
        assertThat(w.cpuNanos()).isPositive().isLessThanOrEqualTo(w.wallNanos() + 50_000_000L);
        assertThat(w.runDelay()).isPresent();
        assertThat(w.timeslices()).isPositive();
        assertThat(w.maxGapNanos()).isPositive();
    }

    @Test
    void wakeLatencyIsSampledForPartnerTypes() throws InterruptedException {
        for (WorkloadType type : List.of(WorkloadType.PIPE_IO, WorkloadType.FUTEX_PING_PONG, WorkloadType.TIMER_LATENCY,
                WorkloadType.WAKE_CHAIN, WorkloadType.IDLE_CHURN, WorkloadType.CACHE_PIPE, WorkloadType.ASYMMETRIC_WAKER,
                WorkloadType.IRQ_WAKE, WorkloadType.NET_TRAFFIC, WorkloadType.SIGNAL_STORM, WorkloadType.MUTEX_CONTENTION,
                WorkloadType.TAOBENCH)) {
            List<WorkerTelemetry> t = run(WorkerRequest.of("", 2, type), 300);
            assertThat(t).as(type.name()).allSatisfy(w -> assertThat(w.wakeCount()).isPositive());
        }
    }

    @Test
    void aSequenceRunsItsPhasesInTurn() throws InterruptedException {
        List<WorkerRequest.Phase> phases = List.of(
                new WorkerRequest.Phase(WorkloadType.SPIN_WAIT, 0, 0, Duration.ofMillis(50)),
                new WorkerRequest.Phase(WorkloadType.TIMER_LATENCY, 500, 0, Duration.ofMillis(50)));
        WorkerGroup g = agent.client.spawnWorkers(new WorkerRequest("", 1, WorkloadType.SEQUENCE, 0, 0, 0, -1, new BitSet(), phases));
        agent.client.startWorkers(g);
        // Wait until the kernel has seen it sleep a lot (the timer phase) and spin (the spin phase), however busy the host.
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline && !(voluntarySwitches(g.pids().get(0)) > 50 && active(g.pids().get(0)))) {
            Thread.sleep(20);
        }
        WorkerTelemetry w = agent.client.stopWorkers(g, Duration.ofSeconds(5)).get(0);
        assertThat(w.finished()).isTrue();
        assertThat(w.iterations()).isPositive();
        assertThat(w.wakeCount()).as("timer phase sampled wake latency").isPositive();
        assertThat(w.voluntarySwitches()).as("timer phase slept").isPositive();
        assertThatThrownBy(() -> new WorkerRequest.Phase(WorkloadType.PIPE_IO, 0, 0, Duration.ofMillis(5)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WorkerRequest.of("", 1, WorkloadType.SEQUENCE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("phases");
    }

    @Test
    void workersWaitForTheStart() throws InterruptedException {
        WorkerGroup g = agent.client.spawnWorkers(WorkerRequest.of("", 3, WorkloadType.SPIN_WAIT));
        Thread.sleep(200);
        List<WorkerTelemetry> t = agent.client.stopWorkers(g, Duration.ofSeconds(5));
        assertThat(t).allSatisfy(w -> assertThat(w.iterations()).isZero());
    }

    @Test
    void affinityPinsWorkers() throws InterruptedException {
        BitSet cpu0 = new BitSet();
        cpu0.set(0);
        List<WorkerTelemetry> t = run(new WorkerRequest("", 2, WorkloadType.YIELD_HEAVY, 0, 0, 0, -1, cpu0), 200);
        assertThat(t).allSatisfy(w -> assertThat(w.cpusUsed()).containsExactly(0));
    }

    @Test
    void peekShowsProgressWithoutStopping() throws InterruptedException {
        WorkerGroup g = agent.client.spawnWorkers(WorkerRequest.of("", 2, WorkloadType.SPIN_WAIT));
        assertThat(agent.client.peekWorkers(List.of(g)).get(g.id())).hasSize(2)
                .allSatisfy(p -> assertThat(p.state()).as("waiting for the start").isZero())
                .extracting(WorkerProgress::pid).containsExactlyElementsOf(g.pids());
        agent.client.startWorkers(g);
        // the host is shared: wait (bounded) until both have worked, then until the total grows again
        long first = awaitUnitsAbove(g, 0);
        long later = awaitUnitsAbove(g, first);
        assertThat(later).isGreaterThan(first);
        assertThat(agent.client.peekWorkers(List.of(g)).get(g.id())).allSatisfy(p -> {
            assertThat(p.running()).isTrue();
            assertThat(p.iterations()).isPositive();
            assertThat(p.worstGapNanos()).isGreaterThanOrEqualTo(p.maxGapNanos());
        });
        List<WorkerTelemetry> t = agent.client.stopWorkers(g, Duration.ofSeconds(5));
        assertThat(t.stream().mapToLong(WorkerTelemetry::workUnits).sum()).isGreaterThanOrEqualTo(later);
        assertThatThrownBy(() -> agent.client.peekWorkers(List.of(g))).isInstanceOf(AgentException.class)
                .satisfies(e -> assertThat(((AgentException) e).errnoName()).contains("ENOENT"));
    }

    @Test
    void takeWorkerCpusGivesTheCpusUsedSinceTheLastTake() throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs two host CPUs");
        BitSet cpu0 = new BitSet();
        cpu0.set(0);
        WorkerGroup g = agent.client.spawnWorkers(new WorkerRequest("", 2, WorkloadType.SPIN_WAIT, 0, 0, 0, -1, cpu0));
        agent.client.startWorkers(g);
        awaitUnitsAbove(g, 0);
        awaitActivity(g.pids());
        assertThat(agent.client.takeWorkerCpus(List.of(g)).get(g.id())).extracting(WorkerCpus::pid)
                .containsExactlyElementsOf(g.pids());
        // the second worker moves to CPU 1; what was taken before is forgotten
        int moved = g.pids().get(1);
        new ProcessBuilder("taskset", "-pc", "1", String.valueOf(moved)).redirectErrorStream(true).start().waitFor();
        agent.client.takeWorkerCpus(List.of(g));
        long deadline = System.nanoTime() + 60_000_000_000L;
        List<WorkerCpus> taken;
        do {
            Thread.sleep(100);
            taken = agent.client.takeWorkerCpus(List.of(g)).get(g.id());
        } while ((taken.get(0).cpus().isEmpty() || taken.get(1).cpus().isEmpty()) && System.nanoTime() < deadline);
        assertThat(taken.get(0).cpus()).containsExactly(0);
        assertThat(taken.get(1).cpus()).containsExactly(1);
        List<WorkerTelemetry> t = agent.client.stopWorkers(g, Duration.ofSeconds(5));
        assertThat(t.get(1).cpusUsed()).as("the whole life still has both").containsExactly(0, 1);
        assertThatThrownBy(() -> agent.client.takeWorkerCpus(List.of(g))).isInstanceOf(AgentException.class)
                .satisfies(e -> assertThat(((AgentException) e).errnoName()).contains("ENOENT"));
    }

    private static long awaitUnitsAbove(WorkerGroup g, long floor) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        long total;
        do {
            Thread.sleep(20);
            total = agent.client.peekWorkers(List.of(g)).get(g.id()).stream().mapToLong(WorkerProgress::workUnits).sum();
        } while (total <= floor && System.nanoTime() < deadline);
        return total;
    }

    /** The policy each worker set, as the kernel shows it: the policy field of its first /proc/PID/numa_maps line. */
    private static String policyOf(int pid) throws IOException {
        // "ADDRESS POLICY rest...", and a policy may hold a space ("prefer (many)=static:0")
        String line = Files.readAllLines(Path.of("/proc/" + pid + "/numa_maps")).getFirst();
        return line.substring(line.indexOf(' ') + 1);
    }

    @Test
    void memoryPolicyIsSetBeforeTheWorkerStarts() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/numa_maps")), "host kernel without CONFIG_NUMA (no /proc/self/numa_maps)");
        BitSet node0 = new BitSet();
        node0.set(0);
        record Case(WorkerRequest.MemPolicy.Mode mode, BitSet nodes, String shown) {}
        for (Case c : List.of(new Case(WorkerRequest.MemPolicy.Mode.BIND, node0, "bind=static:0"),
                new Case(WorkerRequest.MemPolicy.Mode.INTERLEAVE, node0, "interleave=static:0"),
                new Case(WorkerRequest.MemPolicy.Mode.PREFERRED, node0, "prefer=static:0"),
                new Case(WorkerRequest.MemPolicy.Mode.PREFERRED_MANY, node0, "prefer (many)=static:0"),
                new Case(WorkerRequest.MemPolicy.Mode.WEIGHTED_INTERLEAVE, node0, "weighted interleave=static:0"),
                new Case(WorkerRequest.MemPolicy.Mode.LOCAL, new BitSet(), "local"))) {
            WorkerGroup g = agent.client.spawnWorkers(WorkerRequest.of("", 2, WorkloadType.SPIN_WAIT)
                    .withMemPolicy(new WorkerRequest.MemPolicy(c.mode(), c.nodes())));
            try {
                // applied before the spawn answers: visible while the workers still wait for the start
                for (int pid : g.pids()) {
                    assertThat(policyOf(pid)).as(c.mode().name()).startsWith(c.shown() + " ");
                }
            } finally {
                agent.client.stopWorkers(g, Duration.ofSeconds(5));
            }
        }
        // a node the host does not have: the kernel says EINVAL, the agent kills the group and says so
        BitSet node40 = new BitSet();
        node40.set(40);
        assertThatThrownBy(() -> agent.client.spawnWorkers(WorkerRequest.of("", 2, WorkloadType.SPIN_WAIT)
                .withMemPolicy(new WorkerRequest.MemPolicy(WorkerRequest.MemPolicy.Mode.BIND, node40))))
                .isInstanceOf(AgentException.class).hasMessageContaining("set_mempolicy")
                .satisfies(e -> assertThat(((AgentException) e).errnoName()).contains("EINVAL"));
        assertThatThrownBy(() -> new WorkerRequest.MemPolicy(WorkerRequest.MemPolicy.Mode.PREFERRED, new BitSet()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly one");
        assertThatThrownBy(() -> new WorkerRequest.MemPolicy(WorkerRequest.MemPolicy.Mode.LOCAL, node0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes no nodes");
        agent.client.ping();
    }

    @Test
    void badRequestsAreGuestErrors() {
        assertThatThrownBy(() -> agent.client.spawnWorkers(WorkerRequest.of("/nonexistent/cg", 1, WorkloadType.SPIN_WAIT)))
                .isInstanceOf(AgentException.class)
                .satisfies(e -> assertThat(((AgentException) e).errnoName()).contains("ENOENT"));
        assertThatThrownBy(() -> agent.client.startWorkers(new WorkerGroup(987654, List.of())))
                .isInstanceOf(AgentException.class).hasMessageContaining("no worker group");
        assertThatThrownBy(() -> WorkerRequest.of("", 0, WorkloadType.SPIN_WAIT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("count");
        agent.client.ping();
    }
}
