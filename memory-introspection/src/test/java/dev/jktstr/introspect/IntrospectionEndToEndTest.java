package dev.jktstr.introspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.btf.Btf;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineBackend;
import dev.jktstr.machine.MachineFailures;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import dev.jktstr.machine.VcpuRegisters;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * One QEMU TCG guest (2 vCPUs, 512 MiB, shared kernel, KASLR on) for the whole class; every check
 * compares what the host reads from guest memory with what the guest itself reports.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@BootsVm
class IntrospectionEndToEndTest {
    private static final Duration READY = Duration.ofSeconds(90);
    private static final String SCX = "/bin/scx_simple";

    private static GuestImage image;
    private static Machine machine;
    private static AgentClient agent;
    private static Btf btf;
    private static KernelSymbols symbols;
    private static Introspector introspector;
    private static boolean haveScheduler;
    private static final String MAPS_HELPER = "/bin/bpf_maps";
    private static java.nio.file.Path mapsHelper;

    /** Builds src/test/c/bpf_maps.c statically with gcc; null (and the maps test skips) without gcc. */
    private static java.nio.file.Path compileMapsHelper() {
        try {
            java.nio.file.Path src = java.nio.file.Path.of(System.getProperty("jktstr.repo.root", "."))
                    .resolve("memory-introspection/src/test/c/bpf_maps.c");
            if (!java.nio.file.Files.isRegularFile(src)) {
                src = java.nio.file.Path.of("src/test/c/bpf_maps.c");
            }
            java.nio.file.Path out = java.nio.file.Files.createTempFile("jktstr-bpf-maps-", "");
            Process gcc = new ProcessBuilder("gcc", "-static", "-O2", "-o", out.toString(), src.toString())
                    .redirectErrorStream(true).start();
            String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (gcc.waitFor() != 0) {
                System.out.println("bpf_maps helper not built: " + log);
                java.nio.file.Files.deleteIfExists(out);
                return null;
            }
            return out;
        } catch (java.io.IOException | InterruptedException e) {
            System.out.println("bpf_maps helper not built: " + e);
            return null;
        }
    }

    @BeforeAll
    static void boot() {
        MachineBackend backend = TestKernel.tcg();
        var kernel = TestKernel.kernel();
        GuestImage.Builder b = GuestImage.builder().withBusybox(true);
        Optional<java.nio.file.Path> scx = TestKernel.scheduler("scx_simple");
        scx.ifPresent(p -> b.addBinary(p, SCX));
        haveScheduler = scx.isPresent();
        mapsHelper = compileMapsHelper();
        if (mapsHelper != null) {
            b.addBinary(mapsHelper, MAPS_HELPER);
        }
        image = b.build();
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
        symbols = KernelSymbols.fromSystemMap(kernel.systemMap().orElseThrow());
        long t0 = System.nanoTime();
        introspector = Introspector.attach(machine, btf, symbols);
        KernelView v = introspector.view();
        System.out.printf("attached in %.1f ms: KASLR slide 0x%x via %s, phys_base %s, page_offset_base 0x%x, "
                + "5-level %b%n", (System.nanoTime() - t0) / 1e6, v.slide(), v.slideSource(),
                v.physBase().stream().mapToObj(Long::toHexString).findFirst().orElse("-"), v.pageOffsetBase(),
                v.fiveLevelPaging());
    }

    @AfterAll
    static void shutDown() {
        if (agent != null) {
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
        if (mapsHelper != null) {
            try {
                java.nio.file.Files.deleteIfExists(mapsHelper);
            } catch (java.io.IOException ignored) {
                // a temp file; nothing else to do
            }
        }
    }

    /**
     * HASH and ARRAY maps with known contents, created in the guest by a small static program through
     * the bpf syscall: the walk over map_idr finds them by name and reads every key and value.
     */
    @Test
    @Order(5)
    void hashAndArrayMapValuesMatchWhatTheGuestInserted() {
        assumeTrue(mapsHelper != null, "gcc could not build the bpf_maps helper (apt-get install gcc libc6-dev)");
        ExecResult started = sh(MAPS_HELPER + " >/tmp/maps.log 2>&1 & echo $!; "
                + "for i in $(seq 50); do grep -q ready /tmp/maps.log && break; sleep 0.1; done; cat /tmp/maps.log");
        String pid = started.stdoutText().lines().findFirst().orElseThrow();
        try {
            assertThat(started.stdoutText()).as("%s", started).contains("ready");
            Snapshot s = introspector.snapshot(SnapshotOptions.SCHEDULER_AND_MAPS);
            BpfMapState hash = s.map("jk_hash").orElseThrow(() -> new AssertionError("no jk_hash in " + s.maps()));
            assertThat(hash.type()).isEqualTo("BPF_MAP_TYPE_HASH");
            assertThat(hash.errors()).isEmpty();
            Map<Long, Long> kv = new HashMap<>();
            hash.entries().forEach(e -> kv.put(e.keyU32(), e.sumU64(0)));
            Map<Long, Long> expected = new HashMap<>();
            for (long k = 1; k <= 10; k++) {
                expected.put(k, k * 1000 + 7);
            }
            assertThat(kv).isEqualTo(expected);
            BpfMapState array = s.map("jk_array").orElseThrow();
            assertThat(array.entries()).extracting(e -> e.sumU64(0)).containsExactly(0L, 1L, 4L, 9L);
        } finally {
            sh("kill " + pid + "; true");
        }
    }

    private static ExecResult sh(String line) {
        return agent.exec(List.of("/bin/busybox", "sh", "-c", line), Map.of(), Duration.ofSeconds(60));
    }

    @Test
    @Order(1)
    void kernelIsFoundUnderKaslrAndTheBannerMatchesProcVersion() {
        String procVersion = sh("cat /proc/version").stdoutText();
        String banner = introspector.paused(w -> w.view().readCString(w.view().symbol("linux_banner"), 512));
        assertThat(banner).isEqualTo(procVersion);
        assertThat(introspector.view().slide()).as("KASLR moved the kernel").isNotZero();
        // The direct map and the image map agree: the same byte through both translations.
        long va = introspector.view().symbol("linux_banner");
        long pa = introspector.view().translate(va);
        assertThat(introspector.view().translate(introspector.view().pageOffsetBase() + pa)).isEqualTo(pa);
    }

    @Test
    @Order(2)
    void typedAccessFollowsPointersAndRendersJson() {
        introspector.paused(w -> {
            KernelView v = w.view();
            GuestObject rq0 = v.percpu("runqueues", 0);
            assertThat(rq0.field("cpu").asInt()).isZero();
            assertThat(v.percpu("runqueues", 1).field("cpu").asInt()).isEqualTo(1);
            assertThat(rq0.field("scx.nr_running").asLong()).isGreaterThanOrEqualTo(0);
            GuestObject init = v.global("init_task", "task_struct");
            assertThat(init.field("comm").asString()).isEqualTo("swapper/0");
            assertThat(init.field("pid").asInt()).isZero();
            // Pointer following with '.' through task_struct * (C's ->), and arrays.
            assertThat(rq0.field("idle.comm").asString()).isEqualTo("swapper/0");
            assertThat(init.field("comm[0]").asLong()).isEqualTo('s');
            String json = rq0.field("scx.local_dsq").toJson();
            assertThat(json).contains("\"nr\"");
            return null;
        });
    }

    /**
     * The task walk against the guest's own /proc. The agent cannot run while the guest is paused, so
     * /proc is listed just before and just after the pause. Processes that exist in both listings were
     * alive at the pause and must be in the walk; every task the walk finds must be in at least one
     * listing. What differs is transient: the listing shell and its cat children, and kworkers that came
     * or went.
     */
    @Test
    @Order(3)
    void taskWalkMatchesProcAtThePausePoint() {
        String list = "for d in /proc/[0-9]*; do [ -r $d/comm ] && echo \"${d#/proc/} $(cat $d/comm 2>/dev/null)\"; done";
        Map<Integer, String> before = parseProc(sh(list).stdoutText());
        List<TaskInfo> walked = introspector.paused(w -> {
            List<FieldError> errors = new ArrayList<>();
            List<TaskInfo> t = w.tasks(false, errors);
            assertThat(errors).isEmpty();
            return t;
        });
        Map<Integer, String> after = parseProc(sh(list).stdoutText());

        Map<Integer, String> fromMemory = walked.stream().collect(Collectors.toMap(TaskInfo::pid, TaskInfo::comm));
        Set<Integer> stable = new HashSet<>();
        before.forEach((pid, comm) -> {
            if (comm.equals(after.get(pid))) {
                stable.add(pid);
            }
        });
        Set<Integer> seen = new HashSet<>(before.keySet());
        seen.addAll(after.keySet());
        System.out.printf("tasks: walk %d, /proc before %d, after %d, stable %d%n", walked.size(), before.size(),
                after.size(), stable.size());
        assertThat(stable).isNotEmpty().contains(1);
        assertThat(fromMemory.keySet()).containsAll(stable);
        // A kworker may be born after the first listing and gone before the second: allow that, nothing else.
        Set<Integer> unseen = new HashSet<>(fromMemory.keySet());
        unseen.removeAll(seen);
        assertThat(unseen).allSatisfy(pid -> assertThat(fromMemory.get(pid)).startsWith("kworker/"));
        // task->comm holds 15 bytes; /proc/N/comm shows kernel threads' full names and a workqueue worker's
        // current work queue ("kworker/u8:0-async"), so memory's comm is the same string or its prefix.
        for (int pid : stable) {
            String proc = before.get(pid);
            String mem = fromMemory.get(pid);
            assertThat(proc.equals(mem) || (mem.length() >= 8 && proc.startsWith(mem)))
                    .as("pid %d: /proc says '%s', memory '%s'", pid, proc, mem).isTrue();
        }
        assertThat(fromMemory.get(1)).isEqualTo("init");
        assertThat(walked).allSatisfy(t -> {
            assertThat(t.isThreadGroupLeader()).isTrue();
            assertThat(t.cpu()).isBetween(0, 1);
        });
        assertThat(walked).anySatisfy(t -> assertThat(t.schedClass()).isEqualTo("fair_sched_class"));
    }

    private static Map<Integer, String> parseProc(String text) {
        Map<Integer, String> out = new HashMap<>();
        for (String line : text.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0) {
                out.put(Integer.parseInt(line.substring(0, sp)), line.substring(sp + 1));
            }
        }
        return out;
    }

    /**
     * Per-CPU nr_running against /sys/kernel/debug/sched/debug, read right before and after the pause,
     * with busy loops pinned so the numbers are stable: 2 on CPU 1, 1 on CPU 0. The agent itself may be
     * runnable at either reading (it reads the file), hence the tolerance of one around the guest's readings.
     */
    @Test
    @Order(4)
    void perCpuNrRunningAgreesWithTheGuest() throws Exception {
        ExecResult start = sh("for c in 1 1 0; do busybox taskset -c $c busybox sh -c 'while :; do :; done' "
                + ">/dev/null 2>&1 & echo $!; done; sleep 1");
        List<String> busyPids = start.stdoutText().lines().toList();
        assertThat(busyPids).as("%s %s", start, start.stderrText()).hasSize(3);
        try {
            Map<Integer, Long> before = debugNrRunning();
            Snapshot s = introspector.snapshot(SnapshotOptions.SCHEDULER);
            Map<Integer, Long> after = debugNrRunning();
            System.out.printf("nr_running: guest before %s, paused read %s, guest after %s%n", before,
                    s.runqueues().stream().map(r -> r.cpu() + "=" + r.nrRunning()).toList(), after);
            assertThat(s.runqueues()).hasSize(2);
            for (RunqueueState r : s.runqueues()) {
                assertThat(r.errors()).isEmpty();
                long busy = r.cpu() == 1 ? 2 : 1;
                // The pinned loops are always runnable there; anything else (the agent, a kworker) comes and
                // goes between the readings, so the paused value must lie within the guest's own readings ± 1.
                long lo = Math.min(before.get(r.cpu()), after.get(r.cpu()));
                long hi = Math.max(before.get(r.cpu()), after.get(r.cpu()));
                assertThat(r.nrRunning()).isGreaterThanOrEqualTo(busy).isBetween(lo - 1, hi + 1);
                assertThat(r.clock()).isPositive();
            }
            // The busy loops keep every CPU's clock moving: no stall over a short series.
            try (Sampler sampler = Sampler.start(introspector, Duration.ofMillis(100), SnapshotOptions.SCHEDULER, 64)) {
                List<Snapshot> series = sampler.awaitSamples(5, Duration.ofSeconds(30));
                assertThat(sampler.failure()).isEmpty();
                assertThat(series).hasSizeGreaterThanOrEqualTo(5);
                assertThat(series.get(4).monotonicNanos()).isGreaterThan(series.get(0).monotonicNanos());
                assertThat(new StallDetector(3).detect(series)).isEmpty();
                long[] paused = series.stream().mapToLong(Snapshot::pausedNanos).sorted().toArray();
                System.out.printf("sampler: %d samples, pause-read-resume median %.2f ms (QEMU TCG, QMP stop/cont)%n",
                        paused.length, paused[paused.length / 2] / 1e6);
            }
        } finally {
            sh("kill " + String.join(" ", busyPids) + "; true");
        }
    }

    private static Map<Integer, Long> debugNrRunning() {
        String text = new String(agent.readFile("/sys/kernel/debug/sched/debug"), StandardCharsets.UTF_8);
        Map<Integer, Long> out = new HashMap<>();
        int cpu = -1;
        for (String line : text.split("\n")) {
            if (line.startsWith("cpu#")) {
                cpu = Integer.parseInt(line.substring(4, line.indexOf(',') > 0 ? line.indexOf(',') : line.length()).strip());
            } else if (cpu >= 0 && line.strip().startsWith(".nr_running") && !out.containsKey(cpu)) {
                out.put(cpu, Long.parseLong(line.substring(line.indexOf(':') + 1).strip()));
            }
        }
        return out;
    }

    @Test
    @Order(6)
    void schedExtStateMapsAndCountersFollowScxSimple() throws Exception {
        assumeTrue(haveScheduler, "no scx_simple in ../shared/schedulers");
        Snapshot off = introspector.snapshot();
        assertThat(off.schedExt().enableState()).isEqualTo("disabled");
        assertThat(off.schedExt().enabled()).isFalse();

        ExecResult started = sh(SCX + " >/tmp/scx.log 2>&1 & echo $!; "
                + "for i in $(seq 100); do [ \"$(cat /sys/kernel/sched_ext/state)\" = enabled ] && break; sleep 0.2; done; "
                + "cat /sys/kernel/sched_ext/state; cat /sys/kernel/sched_ext/root/ops");
        List<String> lines = started.stdoutText().lines().toList();
        String schedulerPid = lines.get(0);
        assertThat(lines.get(1)).as("scheduler enabled: %s", started).isEqualTo("enabled");
        String opsName = lines.get(2);

        Snapshot first = introspector.snapshot(SnapshotOptions.SCHEDULER_AND_MAPS);
        sh("i=0; while [ $i -lt 300 ]; do i=$((i+1)); done; sleep 0.3");
        Snapshot second = introspector.snapshot(SnapshotOptions.SCHEDULER_AND_MAPS);
        System.out.println(second.toText());

        assertThat(first.schedExt().enabled()).isTrue();
        assertThat(first.schedExt().opsName()).isEqualTo(opsName);
        assertThat(first.schedExt().errors()).isEmpty();
        assertThat(first.schedExt().watchdogTimeoutJiffies()).isPositive();
        BpfMapState stats1 = first.map("stats").orElseThrow(() -> new AssertionError("no 'stats' map in " + first.maps()));
        BpfMapState stats2 = second.map("stats").orElseThrow();
        assertThat(stats1.type()).isEqualTo("BPF_MAP_TYPE_PERCPU_ARRAY");
        assertThat(stats1.entries()).hasSize(stats1.maxEntries());
        long total1 = stats1.entries().stream().mapToLong(e -> e.sumU64(0)).sum();
        long total2 = stats2.entries().stream().mapToLong(e -> e.sumU64(0)).sum();
        System.out.printf("scx_simple stats: %d -> %d dispatches; maps %s%n", total1, total2,
                second.maps().stream().map(m -> m.name() + ":" + m.type()).toList());
        assertThat(total2).isGreaterThan(total1);
        // Maps created with BTF render their values through it (libbpf creates 'stats' without BTF here).
        BpfMapState data = second.maps().stream().filter(m -> m.name().endsWith(".data") && !m.valueType().isEmpty())
                .findFirst().orElseThrow(() -> new AssertionError("no .data map with BTF in " + second.maps()));
        assertThat(data.entries().getFirst().valueJson()).isNotNull();
        assertThat(data.entries().getFirst().valueJson().getFirst()).contains("uei");
        assertThat(second.dsqs()).anySatisfy(d -> assertThat(d.kind()).isEqualTo("local"));
        // scx_simple creates its SHARED_DSQ with id 0 (tools/sched_ext/scx_simple.bpf.c); enabling sched_ext allocates
        // one global DSQ per node with id SCX_DSQ_GLOBAL (bit 63 | 1)
        assertThat(second.dsqs()).anySatisfy(d -> {
            assertThat(d.kind()).isEqualTo("user");
            assertThat(d.id()).isZero();
            assertThat(d.depth()).isNotNegative();
        });
        assertThat(second.dsqs()).anySatisfy(d -> {
            assertThat(d.kind()).isEqualTo("global");
            assertThat(d.owner()).isZero();
            assertThat(d.id()).isEqualTo(Long.MIN_VALUE | 1);
        });
        assertThat(second.toJson()).contains("\"ops\":\"" + opsName + "\"");

        // SIGTERM, not SIGINT: a non-interactive shell starts background jobs with SIGINT ignored.
        ExecResult stopped = sh("kill -TERM " + schedulerPid + "; "
                + "for i in $(seq 100); do [ \"$(cat /sys/kernel/sched_ext/state)\" = disabled ] && break; sleep 0.2; done; "
                + "cat /sys/kernel/sched_ext/state");
        assertThat(stopped.stdoutText().strip()).as("%s %s %s", stopped, stopped.stderrText(),
                sh("ps -o pid,stat,comm; cat /tmp/scx.log | tail -5").stdoutText()).isEqualTo("disabled");
        Snapshot after = introspector.snapshot();
        assertThat(after.schedExt().enabled()).isFalse();
        assertThat(after.schedExt().enableState()).isEqualTo("disabled");
        System.out.printf("after stop: exit kind %s, reason '%s'%n", after.schedExt().exitKind(),
                after.schedExt().exitReason());
        assertThat(after.schedExt().exitKind()).startsWith("SCX_EXIT_");
    }

    /**
     * The MSR_LSTAR route to the KASLR slide (what our VMM offers; QEMU shows no MSRs): the same paused
     * registers plus an LSTAR at entry_SYSCALL_64's runtime address must give the same slide as the CR3 walk.
     * That address comes from the guest's own /proc/kallsyms, not from the slide under test, so a wrong
     * walk cannot confirm itself.
     */
    @Test
    @Order(7)
    void lstarGivesTheSameSlideAsTheWalk() {
        long entry = kallsyms("entry_SYSCALL_64");
        assertThat(entry - symbols.requireAddress("entry_SYSCALL_64")).as("slide per the guest's /proc/kallsyms")
                .isEqualTo(introspector.view().slide());
        machine.pause();
        try {
            VcpuRegisters r = machine.registers(0);
            Map<String, Long> all = new HashMap<>(r.all());
            all.put("LSTAR", entry);
            VcpuRegisters withMsr = new VcpuRegisters(r.cpu(), r.rip(), r.rsp(), r.rflags(), r.cr0(), r.cr2(), r.cr3(),
                    r.cr4(), all);
            KernelView v = KernelView.attach(machine.memory(), withMsr, btf, symbols);
            assertThat(v.slideSource()).contains("LSTAR");
            assertThat(v.slide()).isEqualTo(introspector.view().slide());
            assertThat(v.physBase()).isEqualTo(introspector.view().physBase());
            // A wrong LSTAR is caught by the linux_banner check and the walk takes over.
            all.put("LSTAR", entry + (2 << 20));
            VcpuRegisters wrong = new VcpuRegisters(r.cpu(), r.rip(), r.rsp(), r.rflags(), r.cr0(), r.cr2(), r.cr3(),
                    r.cr4(), all);
            KernelView w = KernelView.attach(machine.memory(), wrong, btf, symbols);
            assertThat(w.slideSource()).contains("walk");
            assertThat(w.slide()).isEqualTo(introspector.view().slide());
        } finally {
            machine.resume();
        }
    }

    /**
     * A symbol's runtime address as the guest reports it in /proc/kallsyms. The agent runs as root; with
     * kptr_restrict set the addresses read as zero, so it is cleared first.
     */
    private static long kallsyms(String name) {
        ExecResult r = sh("echo 0 > /proc/sys/kernel/kptr_restrict 2>/dev/null; "
                + "grep ' " + name + "$' /proc/kallsyms");
        String line = r.stdoutText().lines().findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in /proc/kallsyms: " + r + " " + r.stderrText()));
        long address = Long.parseUnsignedLong(line.substring(0, line.indexOf(' ')), 16);
        assertThat(address).as("%s in /proc/kallsyms (zero: addresses hidden)", name).isNotZero();
        return address;
    }

    /**
     * Robustness: snapshots of a copy of guest memory while another thread keeps scribbling random bytes
     * over runqueues, the task list, map_idr, task_structs and random kernel pages. Every snapshot must
     * end — partial, with typed field errors — never a crash or a hang. The copy keeps the live guest
     * intact for the tests after this one.
     */
    @Test
    @Order(8)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void scribbledKernelDataGivesPartialSnapshotsNotCrashes() throws Exception {
        machine.pause();
        VcpuRegisters regs;
        try (Arena arena = Arena.ofShared()) {
            List<GuestMemory.Mapping> copies = new ArrayList<>();
            try {
                regs = machine.registers(0);
                for (GuestMemory.Range r : machine.memory().ramRanges()) {
                    MemorySegment copy = arena.allocate(r.size(), 4096);
                    copy.copyFrom(machine.memory().segment(r.start(), r.size()));
                    copies.add(new GuestMemory.Mapping(r.start(), copy));
                }
            } finally {
                machine.resume();
            }
            GuestMemory mem = GuestMemory.of(copies);
            KernelView view = KernelView.attach(mem, regs, btf, symbols);
            KernelWalkers walkers = new KernelWalkers(view);
            Snapshot clean = Introspector.read(walkers, SnapshotOptions.FULL);
            assertThat(clean.tasks()).isNotEmpty();
            assertThat(clean.allErrors()).isEmpty();

            List<Long> targets = new ArrayList<>();
            for (int cpu = 0; cpu < 2; cpu++) {
                targets.add(view.translate(view.percpu("runqueues", cpu).address()));
            }
            targets.add(view.translate(view.symbol("init_task")));
            targets.add(view.translate(view.symbol("map_idr")));
            for (TaskInfo t : clean.tasks().subList(0, Math.min(20, clean.tasks().size()))) {
                targets.add(view.translate(t.address()));
            }
            long text = view.translate(view.symbol("_text"));
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();
            Thread scribbler = new Thread(() -> {
                Random random = new Random(1234);
                while (!stop.get()) {
                    for (int k = 0; k < 8; k++) {
                        long pa = targets.get(random.nextInt(targets.size())) + random.nextInt(2048);
                        byte[] junk = new byte[16 + random.nextInt(256)];
                        random.nextBytes(junk);
                        if (mem.isRam(pa, junk.length)) {
                            mem.writeBytes(pa, junk);
                        }
                    }
                    long page = text + ((long) random.nextInt(40 << 20) & ~0xFFFL);
                    byte[] junk = new byte[4096];
                    random.nextBytes(junk);
                    if (mem.isRam(page, 4096)) {
                        mem.writeBytes(page, junk);
                    }
                    writes.incrementAndGet();
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "scribbler");
            scribbler.start();
            int errors = 0;
            try {
                for (int round = 0; round < 40; round++) {
                    Snapshot s = Introspector.read(walkers, SnapshotOptions.FULL);
                    errors += s.allErrors().size();
                    assertThat(s.allErrors()).allSatisfy(e -> assertThat(e.error()).isNotBlank());
                    assertThat(s.toJson()).startsWith("{");
                    Thread.sleep(20);
                }
            } finally {
                stop.set(true);
                scribbler.join();
            }
            System.out.printf("scribble: 40 snapshots while %d scribble rounds ran, %d field errors in all%n",
                    writes.get(), errors);
            assertThat(errors).isPositive();
        }
    }
}
