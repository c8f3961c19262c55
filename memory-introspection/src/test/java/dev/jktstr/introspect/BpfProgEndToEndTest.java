package dev.jktstr.introspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.btf.Btf;
import dev.jktstr.btf.BtfKind;
import dev.jktstr.btf.BtfType;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineFailures;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import dev.jktstr.testsupport.BootsVm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code prog_idr} walk against the guest's own account of the same programs: a sched_ext scheduler (scx_qmap,
 * else scx_simple) runs with {@code kernel.bpf_stats_enabled=1}; the fdinfo of its BPF program fds is read in the
 * guest before and after a snapshot, and {@code /proc/kallsyms} names each JIT-compiled program
 * {@code bpf_prog_<tag>_<name>}. Per program id: type, jited flag, tag, memlock, verified instructions and name equal;
 * run count and time lie between the two guest reads.
 */
@BootsVm
class BpfProgEndToEndTest {
    private static final Duration READY = Duration.ofSeconds(90);
    private static final String SCX = "/bin/scheduler";

    private static GuestImage image;
    private static Machine machine;
    private static AgentClient agent;
    private static Btf btf;
    private static Introspector introspector;
    private static String schedulerName;
    private static String pid;

    @BeforeAll
    static void boot() {
        MachineBackend backend = TestKernel.tcg();
        var kernel = TestKernel.kernel();
        schedulerName = TestKernel.scheduler("scx_qmap").isPresent() ? "scx_qmap" : "scx_simple";
        Optional<Path> scx = TestKernel.scheduler(schedulerName);
        assumeTrue(scx.isPresent(), "neither scx_qmap nor scx_simple found (../shared/schedulers)");
        image = GuestImage.builder().withBusybox(true).addBinary(scx.get(), SCX).build();
        MachineSpec spec = MachineSpec.builder(kernel.image()).initramfs(image.initramfs())
                .topology(new Topology(1, 1, 2, 1)).memoryPerNodeMib(512).commandLine("quiet").build();
        assumeTrue(backend.canBoot(spec).ok(), backend.canBoot(spec).reason());
        machine = backend.boot(spec);
        try {
            agent = AgentClient.connect(machine.control().in(), machine.control().out(), READY);
        } catch (RuntimeException e) {
            System.out.println("console tail:\n" + machine.consoleTail());
            RuntimeException explained = MachineFailures.explain(machine, "waiting for the guest agent", READY, e);
            machine.close();
            throw explained;
        }
        btf = Btf.load(kernel.vmlinux().orElseThrow());
        introspector = Introspector.attach(machine, btf, KernelSymbols.fromSystemMap(kernel.systemMap().orElseThrow()));
        ExecResult started = sh("echo 1 > /proc/sys/kernel/bpf_stats_enabled && " + SCX + " >/tmp/scx.log 2>&1 & "
                + "echo $!; for i in $(seq 150); do [ \"$(cat /sys/kernel/sched_ext/state)\" = enabled ] && exit 0; "
                + "sleep 0.2; done; tail -20 /tmp/scx.log; exit 1");
        assertThat(started.succeeded()).as("%s started: %s", schedulerName, started).isTrue();
        pid = started.stdoutText().lines().findFirst().orElseThrow().strip();
    }

    @AfterAll
    static void shutDown() {
        if (agent != null) {
            if (pid != null) {
                sh("kill " + pid + "; true");
            }
            agent.close();
        }
        if (machine != null) {
            machine.close();
        }
        if (btf != null) {
            btf.close();
        }
        if (image != null) {
            image.close();
        }
    }

    private static ExecResult sh(String line) {
        return agent.exec(List.of("/bin/busybox", "sh", "-c", line), Map.of(), Duration.ofSeconds(60));
    }

    /** The scheduler's BPF program fds as fdinfo lists them, by {@code prog_id}: each fdinfo's key/value lines. */
    private static Map<Integer, Map<String, String>> fdinfo() {
        ExecResult r = sh("for f in /proc/" + pid + "/fdinfo/*; do grep -q '^prog_id:' $f && { cat $f; echo --; }; "
                + "done; true");
        assertThat(r.succeeded()).as("%s", r).isTrue();
        Map<Integer, Map<String, String>> progs = new LinkedHashMap<>();
        Map<String, String> cur = new HashMap<>();
        for (String line : r.stdoutText().lines().toList()) {
            if (line.equals("--")) {
                progs.put(Integer.parseInt(cur.get("prog_id")), cur);
                cur = new HashMap<>();
            } else if (line.contains(":")) {
                cur.put(line.substring(0, line.indexOf(':')).strip(), line.substring(line.indexOf(':') + 1).strip());
            }
        }
        return progs;
    }

    /**
     * {@code bpf_prog_<tag>_<name>} symbols of JIT-compiled programs in the guest's /proc/kallsyms: tag → names
     * (programs with the same instructions share a tag: scx_qmap's cpu_online and cpu_offline do).
     */
    private static Map<String, List<String>> kallsymsNames() {
        ExecResult r = sh("grep -o ' bpf_prog_[0-9a-f]\\{16\\}_[^ \t]*' /proc/kallsyms; true");
        Map<String, List<String>> names = new HashMap<>();
        for (String line : r.stdoutText().lines().toList()) {
            String sym = line.strip().substring("bpf_prog_".length());
            names.computeIfAbsent(sym.substring(0, 16), t -> new java.util.ArrayList<>()).add(sym.substring(17));
        }
        return names;
    }

    private static long enumValue(String enumName, String enumerator) {
        var e = (BtfType.Enum) btf.type(btf.require(enumName, BtfKind.ENUM));
        return e.values().stream().filter(v -> v.name().equals(enumerator)).findFirst().orElseThrow().value();
    }

    @Test
    void everyProgramOfTheSchedulerMatchesItsFdinfo() {
        Map<Integer, Map<String, String>> before = fdinfo();
        Snapshot s = introspector.snapshot(SnapshotOptions.SCHEDULER.withProgs(true));
        Map<Integer, Map<String, String>> after = fdinfo();
        Map<String, List<String>> kallsyms = kallsymsNames();
        System.out.printf("%s: %d program fds, %d programs in prog_idr, %d bpf_prog_ symbols%n", schedulerName,
                before.size(), s.progs().size(), kallsyms.size());
        assertThat(before).as("the scheduler holds BPF program fds").isNotEmpty();
        assertThat(s.allErrors()).isEmpty();
        var opsMembers = ((BtfType.Composite) btf.type(btf.require("sched_ext_ops", BtfKind.STRUCT))).members()
                .stream().map(BtfType.Member::name).toList();
        boolean enqueueRan = false;
        for (var e : before.entrySet()) {
            int id = e.getKey();
            Map<String, String> g = e.getValue();
            BpfProgState p = s.prog(id).orElseThrow(() -> new AssertionError("prog " + id + " not in " + s.progs()));
            System.out.printf("  prog %d %-15s %-26s -> %-14s verified=%d xlated=%d jited=%d run_cnt=%d run_time_ns=%d%n",
                    id, p.name(), p.type(), p.attachTo(), p.verifiedInsns(), p.xlatedBytes(), p.jitedBytes(),
                    p.runCount(), p.runTimeNs());
            assertThat(p.errors()).isEmpty();
            assertThat(enumValue("bpf_prog_type", p.type())).as("prog %d type", id)
                    .isEqualTo(Long.parseLong(g.get("prog_type")));
            assertThat(p.jited()).as("prog %d jited", id).isEqualTo(g.get("prog_jited").equals("1"));
            assertThat(p.tag()).as("prog %d tag", id).isEqualTo(g.get("prog_tag"));
            assertThat(p.memlockBytes()).as("prog %d memlock", id).isEqualTo(Long.parseLong(g.get("memlock")));
            assertThat(p.verifiedInsns()).as("prog %d verified_insns", id).isPositive()
                    .isEqualTo(Long.parseLong(g.get("verified_insns")));
            // The kallsyms name is the BTF function name, of which aux->name keeps the first 15 characters.
            List<String> symNames = kallsyms.get(p.tag());
            assertThat(symNames).as("prog %d (tag %s) in /proc/kallsyms", id, p.tag()).isNotNull();
            assertThat(p.name()).isNotEmpty();
            assertThat(symNames).as("prog %d name", id).anySatisfy(n -> assertThat(n).startsWith(p.name()));
            assertThat(p.xlatedBytes()).isPositive().isEqualTo(8 * (p.xlatedBytes() / 8));
            if (p.jited()) {
                assertThat(p.jitedBytes()).as("prog %d jited size", id).isPositive();
            }
            // Counters only grow: the memory read lies between the two guest reads.
            long cnt0 = Long.parseLong(g.get("run_cnt"));
            long cnt1 = Long.parseLong(after.get(id).get("run_cnt"));
            assertThat(p.runCount()).as("prog %d run_cnt", id).isBetween(cnt0, cnt1);
            assertThat(p.runTimeNs()).as("prog %d run_time_ns", id).isBetween(Long.parseLong(g.get("run_time_ns")),
                    Long.parseLong(after.get(id).get("run_time_ns")));
            if (p.type().equals("BPF_PROG_TYPE_STRUCT_OPS")) {
                assertThat(opsMembers).as("prog %d attach point", id).contains(p.attachTo());
                // the member's index in sched_ext_ops, where the kernel keeps it
                assertThat(p.attachType()).isEqualTo("member " + opsMembers.indexOf(p.attachTo()));
                enqueueRan |= p.attachTo().equals("enqueue") && p.runCount() > 0;
            }
        }
        assertThat(enqueueRan).as("stats on: the scheduler's enqueue callback ran").isTrue();
        assertThat(introspector.paused(KernelWalkers::bpfStatsEnabled)).isTrue();
    }

    /** What walking the programs adds to a snapshot's read (guest stopped): printed for benchmarks/README.md, not asserted. */
    @Test
    void programWalkCostIsPrinted() {
        SnapshotOptions withProgs = SnapshotOptions.SCHEDULER.withProgs(true);
        long[] plain = new long[21];
        long[] progs = new long[21];
        int[] count = new int[1];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = introspector.paused(w -> timed(() -> Introspector.read(w, SnapshotOptions.SCHEDULER)));
            progs[i] = introspector.paused(w -> timed(() -> count[0] = Introspector.read(w, withProgs).progs().size()));
        }
        java.util.Arrays.sort(plain);
        java.util.Arrays.sort(progs);
        System.out.printf("snapshot read, guest stopped, median of %d: scheduler %.1f µs, scheduler + %d programs %.1f µs%n",
                plain.length, plain[plain.length / 2] / 1e3, count[0], progs[progs.length / 2] / 1e3);
    }

    private static long timed(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return System.nanoTime() - t0;
    }
}
