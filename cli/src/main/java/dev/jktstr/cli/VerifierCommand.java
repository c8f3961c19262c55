package dev.jktstr.cli;

import dev.jktstr.btf.Btf;
import dev.jktstr.btf.elf.StaticExecutable;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.guest.GuestSession;
import dev.jktstr.introspect.BpfProgState;
import dev.jktstr.introspect.Introspector;
import dev.jktstr.introspect.Snapshot;
import dev.jktstr.introspect.SnapshotOptions;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.machine.GuestText;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jktstr verifier --scheduler BIN}: boots a guest, starts the scheduler, and reads every BPF program the
 * verifier accepted from guest memory ({@code prog_idr}: verified instructions, type, struct_ops member). A
 * scheduler that fails to load is reported REJECTED with its own output: libbpf prints the verifier log there.
 * Compared against {@code --baseline}, written by {@code --save}. Exit 1 on a rejection or on a program whose
 * verified instructions grew past {@code --max-growth}; 2 on bad input, refused before anything boots.
 */
@Command(name = "verifier", mixinStandardHelpOptions = true,
        description = {"Load a sched_ext scheduler in a guest and list each BPF program the verifier accepted with "
                + "its verified instruction count (read from guest memory), against a baseline.",
                "Exit 1 when the scheduler fails to load (its output, with libbpf's verifier log, is shown) or a "
                + "program grew past --max-growth."})
public final class VerifierCommand implements Callable<Integer> {
    static final int FAILED = 1;
    private static final String GUEST_SCHEDULER = "/bin/scheduler";
    private static final String LOG = "/tmp/jktstr-verifier.log";
    /** Of the scheduler's output, the end shown on rejection: verifier logs are long, their last lines say why. */
    private static final int LOG_TAIL_BYTES = 64 << 10;

    @Mixin
    MachineOptions machine;

    @Option(names = "--scheduler", paramLabel = "PATH", required = true,
            description = "A static sched_ext scheduler binary.")
    Path scheduler;

    @Option(names = "--scheduler-arg", paramLabel = "ARG", description = "An argument for the scheduler (repeat for more).")
    List<String> schedulerArgs = new ArrayList<>();

    @Option(names = "--baseline", paramLabel = "FILE", description = "Compare with a file written by --save.")
    Path baseline;

    @Option(names = "--save", paramLabel = "FILE", description = "Write this run's programs as a baseline.")
    Path save;

    @Option(names = "--max-growth", paramLabel = "PERCENT", defaultValue = "10",
            description = "Growth of a program's verified instructions over the baseline that fails (default: "
                    + "${DEFAULT-VALUE}%%).")
    double maxGrowthPercent;

    @Option(names = "--load-timeout", paramLabel = "SECONDS", defaultValue = "90",
            description = "How long the scheduler may take to enable sched_ext (default: ${DEFAULT-VALUE}).")
    int loadTimeoutSeconds;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException {
        PrintWriter out = spec.commandLine().getOut();
        // Everything that can be refused is refused before the boot.
        if (!Files.isRegularFile(scheduler)) {
            throw new IllegalArgumentException("--scheduler " + scheduler + ": no such file");
        }
        StaticExecutable.problem(scheduler).ifPresent(p -> {
            throw new IllegalArgumentException("--scheduler " + scheduler + " " + StaticExecutable.REQUIREMENT
                    + "; it is " + p);
        });
        if (!(maxGrowthPercent >= 0)) {
            throw new IllegalArgumentException("--max-growth must be a percentage >= 0, not " + maxGrowthPercent);
        }
        if (loadTimeoutSeconds < 1) {
            throw new IllegalArgumentException("--load-timeout must be at least 1 second");
        }
        VerifierBaseline before = baseline == null ? null : VerifierBaseline.read(baseline);
        KernelImage kernel = machine.kernelImage();
        Path vmlinux = kernel.vmlinux().orElse(kernel.image());
        Path systemMap = kernel.systemMap().orElseThrow(() -> new IllegalArgumentException("kernel " + kernel.image()
                + " has no System.map beside it; reading programs from guest memory needs the kernel's symbols"));
        String name = scheduler.getFileName().toString();
        try (Btf btf = Btf.load(vmlinux);
             GuestSession guest = GuestBoot.start(machine, "", b -> b.addBinary(scheduler, GUEST_SCHEDULER))) {
            String release = exec(guest, "cat /proc/sys/kernel/osrelease").stdoutText().strip();
            String how = load(guest);
            String header = "scheduler " + name + " on " + GuestText.line(release, 100) + ", topology " + machine.topology;
            if (!how.equals("enabled")) {
                out.println(header + ": REJECTED (" + how + ")");
                out.println("its output (libbpf prints the verifier log of a program it could not load):");
                String log = exec(guest, "tail -c " + LOG_TAIL_BYTES + " " + LOG).stdoutText();
                log.lines().forEach(l -> out.println("  " + GuestText.line(l, 4096)));
                out.flush();
                return FAILED;
            }
            Introspector in = Introspector.attach(guest.machine(), btf, KernelSymbols.fromSystemMap(systemMap));
            Snapshot s = in.snapshot(SnapshotOptions.SCHEDULER.withProgs(true));
            List<VerifierBaseline.Program> programs = programs(s.progs());
            List<VerifierDelta.Row> rows = VerifierDelta.compare(programs, before, maxGrowthPercent);
            out.println(header + ": " + programs.size() + " programs accepted");
            out.print(VerifierDelta.table(rows));
            s.allErrors().forEach(e -> out.println("note: could not read " + GuestText.line(e.path(), 200) + ": "
                    + GuestText.line(e.message(), 500)));
            if (save != null) {
                new VerifierBaseline(name, release, machine.topology, programs).write(save);
                out.println("saved: " + save);
            }
            long grew = rows.stream().filter(r -> r.status() == VerifierDelta.Status.GREW).count();
            if (before != null) {
                out.printf("verdict: %s (%d of %d programs grew more than %s%% in verified instructions against %s)%n",
                        grew > 0 ? "FAIL" : "PASS", grew, programs.size(), PerfDeltaCommand.num(maxGrowthPercent), baseline);
            }
            exec(guest, "kill -INT $(pidof scheduler) 2>/dev/null; true");
            guest.powerOff(Duration.ofSeconds(10));
            out.flush();
            return grew > 0 ? FAILED : 0;
        }
    }

    /** The programs, keyed by name ({@code #2}... for repeats), in id order. */
    static List<VerifierBaseline.Program> programs(List<BpfProgState> progs) {
        Map<String, Integer> seen = new HashMap<>();
        List<VerifierBaseline.Program> out = new ArrayList<>();
        for (BpfProgState p : progs.stream().sorted(java.util.Comparator.comparingInt(BpfProgState::id)).toList()) {
            int n = seen.merge(p.name(), 1, Integer::sum);
            out.add(new VerifierBaseline.Program(n == 1 ? p.name() : p.name() + "#" + n, p.type(), p.attachTo(),
                    p.verifiedInsns()));
        }
        return out;
    }

    /**
     * Starts the scheduler (arguments as positional parameters, so nothing is re-quoted) and waits until sched_ext is
     * enabled, the scheduler exits, or the load timeout passes: {@code enabled}, or what happened instead.
     */
    private String load(GuestSession guest) {
        String script = GUEST_SCHEDULER + " \"$@\" >" + LOG + " 2>&1 & pid=$!; "
                + "for i in $(seq " + loadTimeoutSeconds * 5 + "); do "
                + "[ \"$(cat /sys/kernel/sched_ext/state 2>/dev/null)\" = enabled ] && { echo enabled; exit 0; }; "
                + "kill -0 $pid 2>/dev/null || { wait $pid; echo \"it exited with status $? before sched_ext was enabled\"; exit 0; }; "
                + "sleep 0.2; done; echo \"sched_ext not enabled within " + loadTimeoutSeconds + " s\"";
        List<String> argv = new ArrayList<>(List.of("/bin/busybox", "sh", "-c", script, "sh"));
        argv.addAll(schedulerArgs);
        ExecResult r = guest.agent().exec(argv, Map.of(), Duration.ofSeconds(loadTimeoutSeconds + 30L));
        String last = r.stdoutText().strip();
        return last.isEmpty() ? "no answer from the guest: " + GuestText.line(r.toString(), 500)
                : GuestText.line(last.lines().reduce((a, b) -> b).orElse(last), 500);
    }

    private static ExecResult exec(GuestSession guest, String line) {
        return guest.agent().exec(List.of("/bin/busybox", "sh", "-c", line), Map.of(), Duration.ofSeconds(60));
    }
}
