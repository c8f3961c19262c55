package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.WorkerGroup;
import dev.jktstr.guest.WorkerProgress;
import dev.jktstr.guest.WorkerRequest;
import dev.jktstr.guest.WorkerTelemetry;
import dev.jktstr.guest.WorkloadType;
import dev.jktstr.machine.Topology;
import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.testsupport.HostProgram;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every work type for about a second in ONE guest (QEMU TCG, 2 nodes x 1 LLC x 1 core x 2 threads, so the SMT, NUMA
 * and cross-LLC types have what they need, and a 64 MiB scratch disk for the I/O types), a few types at a time: each worker produced work units, the types that
 * wake sampled wake latency, and where the guest's own topology is an independent oracle (which CPUs are SMT
 * siblings, which node and LLC a CPU is in) the CPUs the workers were seen on agree with it.
 */
@BootsVm
class WorkTypesVmTest {
    private static final Topology TOPOLOGY = new Topology(2, 1, 1, 2);
    private static final int AT_ONCE = 6;
    private static Ctx ctx;

    /** The types whose workers (some of them, by role) must have sampled wake latency. */
    private static final Set<WorkloadType> WAKES = EnumSet.of(WorkloadType.PIPE_IO, WorkloadType.FUTEX_PING_PONG,
            WorkloadType.TIMER_LATENCY, WorkloadType.WAKE_CHAIN, WorkloadType.IDLE_CHURN, WorkloadType.CACHE_PIPE,
            WorkloadType.FUTEX_FAN_OUT, WorkloadType.FAN_OUT_COMPUTE, WorkloadType.ASYMMETRIC_WAKER, WorkloadType.EPOLL_STORM,
            WorkloadType.THUNDERING_HERD, WorkloadType.MUTEX_CONTENTION, WorkloadType.PRIORITY_INVERSION,
            WorkloadType.PRODUCER_CONSUMER_IMBALANCE, WorkloadType.RT_STARVATION, WorkloadType.PREEMPT_STORM,
            WorkloadType.SIGNAL_STORM, WorkloadType.NET_TRAFFIC, WorkloadType.IRQ_WAKE, WorkloadType.SCHBENCH,
            WorkloadType.TAOBENCH, WorkloadType.SEQUENCE, WorkloadType.IO_SYNC_WRITE, WorkloadType.IO_RAND_READ,
            WorkloadType.IO_CONVOY);

    record Case(String label, WorkType work, int workers, BiConsumer<String, List<WorkerTelemetry>> extra) {
        Case(String label, WorkType work, int workers) {
            this(label, work, workers, (l, t) -> { });
        }
    }

    @BeforeAll
    static void boot() {
        ctx = TestAssets.vm().topology(TOPOLOGY).memoryMib(512).scratchDisk(64).boot();
    }

    @AfterAll
    static void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    private static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        for (WorkloadType k : WorkloadType.values()) {
            WorkType w = switch (k) {
                case SEQUENCE -> WorkType.sequence(WorkType.phase(WorkType.aluHot(), Duration.ofMillis(100)),
                        WorkType.phase(WorkType.timerLatency(), Duration.ofMillis(100)),
                        WorkType.phase(WorkType.ioSync(), Duration.ofMillis(100)));
                case CUSTOM -> WorkType.custom(staticSpinner());
                case SMT_SIBLING_SPIN, CROSS_AFFINITY_CHURN, NUMA_MIGRATION_CHURN, NUMA_WORKING_SET_SWEEP -> null; // below
                default -> new WorkType(k, 0, 0);
            };
            if (w == null) {
                continue;
            }
            int workers = switch (k) {
                case FUTEX_FAN_OUT, FAN_OUT_COMPUTE, SCHBENCH -> 5; // one messenger, the default 4 receivers
                case THUNDERING_HERD, EPOLL_STORM, MUTEX_CONTENTION, PRIORITY_INVERSION, PRODUCER_CONSUMER_IMBALANCE,
                        WAKE_CHAIN -> 3;
                default -> 2;
            };
            c.add(new Case(WorkTypeCatalog.name(k), w, workers));
        }
        c.replaceAll(k -> k.work().kind() != WorkloadType.CUSTOM ? k : new Case(k.label(), k.work(), k.workers(), (l, t) ->
                assertThat(t).as(l + ": the spinner's CPU time is the worker's").allSatisfy(w -> assertThat(w.cpuNanos())
                        .isGreaterThan(w.workUnits() * 1_000_000L - 1))));
        c.add(new Case("WakeChain(futex, depth 3)", WorkType.wakeChain(3, WakeMechanism.FUTEX, 200), 3));
        c.add(new Case("SmtSiblingSpin", WorkType.smtSiblingSpin(), 2, (l, t) -> {
            // the oracle: the topology's own numbering of cores; each worker pinned to one thread of the same core
            assertThat(t).as(l).allSatisfy(w -> assertThat(w.cpusUsed()).hasSize(1));
            int a = t.get(0).cpusUsed().get(0), b = t.get(1).cpusUsed().get(0);
            assertThat(a).as(l).isNotEqualTo(b);
            assertThat(TOPOLOGY.coreOf(a)).as(l + ": CPUs %d and %d share a core", a, b).isEqualTo(TOPOLOGY.coreOf(b));
        }));
        c.add(new Case("CrossAffinityChurn", WorkType.crossAffinityChurn(), 2, (l, t) -> assertThat(t).as(l)
                .allSatisfy(w -> assertThat(w.cpusUsed().stream().map(TOPOLOGY::llcOf).distinct()).as("%s", w.cpusUsed()).hasSize(2))));
        c.add(new Case("NumaMigrationChurn", WorkType.numaMigrationChurn(Duration.ofMillis(5)), 2, (l, t) -> assertThat(t).as(l)
                .allSatisfy(w -> assertThat(w.cpusUsed().stream().map(TOPOLOGY::nodeOf).distinct()).hasSize(2))));
        c.add(new Case("NumaWorkingSetSweep", WorkType.numaWorkingSetSweep(1024, Duration.ofMillis(10)), 2));
        return c;
    }

    /** Custom's body: a static C program that spins forever, built here (gcc and the static libc build the agent too). */
    private static java.nio.file.Path staticSpinner() {
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("jktstr-spinner");
            dir.toFile().deleteOnExit(); // first: deleteOnExit goes in reverse order, so the directory goes after its files
            java.nio.file.Path src = java.nio.file.Files.writeString(dir.resolve("spinner.c"),
                    "int main(void) { volatile unsigned long x = 0; for (;;) x++; }\n");
            java.nio.file.Path out = dir.resolve("spinner");
            Process p = new ProcessBuilder(HostProgram.require("gcc", "apt-get install gcc libc6-dev").toString(), "-static",
                    "-O1", "-o", out.toString(), src.toString()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as("gcc: %s", log).isZero();
            src.toFile().deleteOnExit();
            out.toFile().deleteOnExit();
            return out;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void everyWorkTypeRunsAndReportsInOneGuest() throws Exception {
        AgentClient agent = ctx.agent();
        // the cgroup types create their children beside the workers: give them a cgroup of their own
        agent.exec("mkdir -p /sys/fs/cgroup/worktypes");
        List<Case> all = cases();
        assertThat(all.stream().map(Case::label)).hasSizeGreaterThanOrEqualTo(46);
        String only = System.getenv().getOrDefault("JKTSTR_WORKTYPES_ONLY", ""); // =Numa: a quicker rerun of some
        all = all.stream().filter(k -> k.label().contains(only)).toList();
        System.out.println(agent.exec("grep . /sys/devices/system/cpu/cpu*/cache/index*/shared_cpu_list"
                + " /sys/devices/system/cpu/cpu*/topology/physical_package_id").stdoutText());
        Map<String, String> summary = new LinkedHashMap<>();
        for (int from = 0; from < all.size(); from += AT_ONCE) {
            List<Case> batch = all.subList(from, Math.min(all.size(), from + AT_ONCE));
            Map<Case, WorkerGroup> groups = new LinkedHashMap<>();
            for (Case k : batch) {
                WorkType w = k.work();
                Optional<String> exec = Optional.empty();
                if (w.binary().isPresent()) { // as RunCgroups does: the binary into the guest, then its path
                    agent.writeFile(w.guestBinaryPath(), java.nio.file.Files.readAllBytes(w.binary().get()), 0755);
                    exec = Optional.of(w.guestBinaryPath());
                }
                groups.put(k, agent.spawnWorkers(new WorkerRequest("/sys/fs/cgroup/worktypes", k.workers(), w.kind(),
                        w.param1(), w.param2(), 0, -1, new BitSet(), w.guestPhases(), Optional.empty(), exec)));
            }
            groups.values().forEach(agent::startWorkers);
            Thread.sleep(1000);
            awaitProgress(agent, groups.values());
            for (Map.Entry<Case, WorkerGroup> e : groups.entrySet()) {
                Case k = e.getKey();
                List<WorkerTelemetry> t = agent.stopWorkers(e.getValue(), Duration.ofSeconds(10));
                String l = k.label();
                assertThat(t).as(l).hasSize(k.workers()).allSatisfy(w -> {
                    assertThat(w.finished()).as(l + " finished").isTrue();
                    assertThat(w.workUnits()).as(l + " work units").isPositive();
                    assertThat(w.iterations()).as(l + " iterations").isPositive();
                    assertThat(w.cpusUsed()).as(l + " CPUs").isNotEmpty();
                    assertThat(w.wakeP50Nanos()).as(l).isLessThanOrEqualTo(w.wakeP99Nanos());
                    assertThat(w.wakeP99Nanos()).as(l).isLessThanOrEqualTo(w.wakeMaxNanos());
                });
                if (WAKES.contains(k.work().kind())) {
                    assertThat(t.stream().mapToLong(WorkerTelemetry::wakeCount).sum()).as(l + " wake samples").isPositive();
                }
                k.extra().accept(l, t);
                summary.put(l, t.stream().mapToLong(WorkerTelemetry::workUnits).sum() + " units, "
                        + t.stream().mapToLong(WorkerTelemetry::wakeCount).sum() + " wakes, p99 max "
                        + t.stream().mapToLong(WorkerTelemetry::wakeP99Nanos).max().orElse(0) / 1000 + " us");
            }
        }
        summary.forEach((k, v) -> System.out.printf("%-28s %s%n", k, v));
        // the cgroup types cleaned up after themselves: only the cgroup we made is left, empty of children
        String left = agent.exec("ls /sys/fs/cgroup/worktypes | grep jktstr-churn || true").stdoutText();
        assertThat(left).as("child cgroups left behind").isBlank();
    }

    /** Under TCG on a busy host a released worker may not have run yet: wait (up to 60 s) until each one has. */
    private static void awaitProgress(AgentClient agent, java.util.Collection<WorkerGroup> groups) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            Map<Integer, List<WorkerProgress>> p = agent.peekWorkers(groups);
            if (p.values().stream().flatMap(List::stream).allMatch(w -> w.workUnits() > 0)) {
                return;
            }
            Thread.sleep(200);
        }
    }
}
