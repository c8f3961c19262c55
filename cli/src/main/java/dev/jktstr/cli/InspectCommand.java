package dev.jktstr.cli;

import dev.jktstr.guest.GuestSession;
import dev.jktstr.btf.Btf;
import dev.jktstr.btf.elf.StaticExecutable;
import dev.jktstr.btf.ksym.KernelSymbols;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.introspect.Introspector;
import dev.jktstr.introspect.Snapshot;
import dev.jktstr.introspect.SnapshotOptions;
import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.machine.GuestText;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jktstr inspect}: boots a guest, optionally starts a sched_ext scheduler in it, and prints the
 * kernel's scheduler state read from guest memory (runqueues, sched_ext, DSQs, BPF maps).
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Boot a guest, optionally start a scheduler, and print the kernel's scheduler state read "
                + "from guest memory (typed through BTF).")
public final class InspectCommand implements Callable<Integer> {
    private static final String GUEST_SCHEDULER = "/bin/scheduler";

    @Mixin
    MachineOptions machine;

    @Option(names = "--scheduler", paramLabel = "PATH",
            description = "A static sched_ext scheduler binary to copy into the guest and start before inspecting.")
    Path scheduler;

    @Option(names = "--json", description = "Print JSON (one object per snapshot, one per line).")
    boolean json;

    @Option(names = "--tasks", description = "Include every task (pid, comm, state, class, cpu).")
    boolean tasks;

    @Option(names = "--progs", description = "List only the BPF programs (id, name, type, struct_ops member, verified "
            + "instructions, xlated and jited size, run count and time): turns kernel.bpf_stats_enabled on before the "
            + "scheduler starts, and leaves out maps and DSQs.")
    boolean progs;

    @Option(names = "--watch", paramLabel = "INTERVAL",
            description = "Sample repeatedly at this interval (e.g. 500ms, 2s) until --count samples or Ctrl-C.")
    String watch;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0",
            description = "With --watch: stop after N samples (0: until interrupted).")
    int count;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Duration interval = watch == null ? null : parseInterval(watch);
        if (scheduler != null && !Files.isRegularFile(scheduler)) {
            throw new IllegalArgumentException("--scheduler " + scheduler + ": no such file");
        }
        if (scheduler != null) {
            // the guest has no dynamic loader: refuse anything else before booting
            Optional<String> problem = StaticExecutable.problem(scheduler);
            if (problem.isPresent()) {
                throw new IllegalArgumentException("--scheduler " + scheduler + " " + StaticExecutable.REQUIREMENT
                        + "; it is " + problem.get());
            }
        }
        KernelImage kernel = machine.kernelImage();
        // A distro kernel ships no vmlinux: its BTF is read from the image itself (decompressed).
        Path vmlinux = kernel.vmlinux().orElse(kernel.image());
        Path systemMap = kernel.systemMap().orElseThrow(() -> new IllegalArgumentException("kernel " + kernel.image()
                + " has no System.map beside it; introspection needs the kernel's symbols"));
        SnapshotOptions options = progs ? new SnapshotOptions(false, false, false, true, tasks, false)
                : new SnapshotOptions(true, true, true, true, tasks, false);
        try (Btf btf = Btf.load(vmlinux)) {
            boolean schedExt = btf.find("sched_ext_ops", dev.jktstr.btf.BtfKind.STRUCT).isPresent();
            if (!schedExt && scheduler != null) {
                throw new IllegalArgumentException("--scheduler " + scheduler + ": kernel " + kernel.image()
                        + " has no sched_ext (CONFIG_SCHED_CLASS_EXT is not set); use a sched_ext kernel (jktstr kernel build)");
            }
            inspect(out, btf, systemMap, options, interval, schedExt);
        }
        return 0;
    }

    private void inspect(PrintWriter out, Btf btf, Path systemMap, SnapshotOptions options, Duration interval, boolean schedExt)
            throws InterruptedException {
        try (GuestSession guest = GuestBoot.start(machine, "", b -> {
                 if (scheduler != null) {
                     b.addBinary(scheduler, GUEST_SCHEDULER);
                 }
             })) {
            if (!schedExt) {
                out.println("note: this kernel has no sched_ext (CONFIG_SCHED_CLASS_EXT is not set): its fields below read as errors");
            }
            if (progs) {
                enableBpfStats(guest, out);
            }
            if (scheduler != null) {
                startScheduler(guest);
            }
            Introspector in = Introspector.attach(guest.machine(), btf, KernelSymbols.fromSystemMap(systemMap));
            if (interval == null) {
                print(out, in.snapshot(options));
            } else {
                long next = System.nanoTime();
                for (int i = 0; count == 0 || i < count; i++) {
                    print(out, in.snapshot(options));
                    next += interval.toNanos();
                    long sleep = next - System.nanoTime();
                    if (sleep > 0) {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    }
                }
            }
            guest.powerOff(java.time.Duration.ofSeconds(10));
        }
    }

    private void print(PrintWriter out, Snapshot s) {
        out.print(json ? s.toJson() + "\n" : s.toText());
        out.flush();
    }

    /**
     * Turns {@code kernel.bpf_stats_enabled} on, so every program's run count and time grow from now on. Off by
     * default because it costs two clock reads per program run; only {@code --progs} asks for it.
     */
    static void enableBpfStats(GuestSession guest, PrintWriter out) {
        ExecResult r = guest.agent().exec(List.of("/bin/busybox", "sh", "-c",
                "echo 1 > /proc/sys/kernel/bpf_stats_enabled"), Map.of(), Duration.ofSeconds(30));
        if (!r.succeeded()) {
            out.println("note: could not turn kernel.bpf_stats_enabled on (" + GuestText.line(r.stdoutText().strip()
                    + " " + r.stderrText().strip(), 500) + "): run counts and times stay 0");
        }
    }

    /** Starts the scheduler in the background and waits until sched_ext reports it enabled. */
    private static void startScheduler(GuestSession guest) {
        ExecResult r = guest.agent().exec(List.of("/bin/busybox", "sh", "-c", GUEST_SCHEDULER + " >/tmp/scheduler.log 2>&1 & "
                + "for i in $(seq 150); do [ \"$(cat /sys/kernel/sched_ext/state 2>/dev/null)\" = enabled ] && exit 0; "
                + "sleep 0.2; done; echo \"scheduler did not enable sched_ext within 30 s:\"; tail -20 /tmp/scheduler.log; "
                + "exit 1"), Map.of(), Duration.ofSeconds(60));
        if (!r.succeeded()) {
            throw new IllegalStateException(GuestText.line(r.stdoutText().strip().replace('\n', ' '), 2000));
        }
    }

    /** {@code 500ms}, {@code 2s}, {@code 1m}, or a bare number of milliseconds. */
    static Duration parseInterval(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        try {
            Duration d;
            if (t.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            } else if (t.endsWith("s")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            } else if (t.endsWith("m")) {
                d = Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)) * 60);
            } else {
                d = Duration.ofMillis(Long.parseLong(t));
            }
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("--watch interval must be positive: " + text);
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--watch: cannot read '" + text + "' as an interval (e.g. 500ms, 2s)");
        }
    }
}
