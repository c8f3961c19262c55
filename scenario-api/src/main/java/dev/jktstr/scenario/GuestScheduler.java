package dev.jktstr.scenario;

import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.guest.GuestException;
import dev.jktstr.machine.GuestText;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sched_ext side of a booted guest: which scheduler is in charge, starting, stopping and replacing it (each
 * waiting for {@code /sys/kernel/sched_ext/state} to follow), the binaries copied in, and what the kernel and the
 * scheduler said about it (kmsg, its own output). {@link Ctx} hands it out through its scheduler methods.
 */
final class GuestScheduler {
    private static final Logger log = LoggerFactory.getLogger(GuestScheduler.class);
    static final String SCHED_EXT_STATE = "/sys/kernel/sched_ext/state";
    static final String SCHED_EXT_OPS = "/sys/kernel/sched_ext/root/ops";
    private static final String SCHED_LOG = "/tmp/jktstr-scheduler.log";
    /** How much of the end of the scheduler's output is read back. */
    static final int SCHED_LOG_TAIL = 64 << 10;

    private final AgentClient agent;
    private final GuestShell shell;
    // The sched_ext scheduler in charge (null: none configured yet, EEVDF) and whether it should be attached now.
    private volatile Scheduler.Binary active;
    private volatile boolean expected = true;
    // Scheduler binaries in the guest: guest path -> host file (the VM's from the image, replacements uploaded).
    private final Map<String, Path> installed = new ConcurrentHashMap<>();

    /**
     * {@code booted}: the VM's scheduler (not started yet); when it is a binary, {@code inImage} says whether the image
     * holds it already, else {@link #startBooted()} uploads it first (a guest restored from a scheduler-less snapshot).
     */
    GuestScheduler(AgentClient agent, GuestShell shell, Scheduler booted, boolean inImage) {
        this.agent = agent;
        this.shell = shell;
        if (booted instanceof Scheduler.Binary b) {
            this.active = b;
            if (inImage) {
                installed.put(b.guestPath(), b.path().toAbsolutePath().normalize());
            }
        }
    }

    /** Starts the VM's sched_ext scheduler, if it has one, uploading it first when the image did not hold it. */
    void startBooted() {
        if (active != null) {
            install(active);
            start(active);
        }
    }

    private void start(Scheduler.Binary b) {
        List<String> argv = new ArrayList<>(List.of(b.guestPath()));
        argv.addAll(b.args());
        String quoted = String.join(" ", argv.stream().map(GuestShell::quote).toList());
        int kmsgBefore = schedExtKmsg().size(); // what the kernel says about this attempt comes after these
        // It loads at nice -20 (verifying a BPF scheduler takes seconds under TCG; workers spinning at nice 0 would
        // stretch that, and with it the time a replacement leaves the workers on the fallback), and runs at nice 0
        // once enabled with root/ops there (the kernel creates it once the new scheduler is in charge).
        ExecResult r = agent.exec(List.of("/bin/sh", "-c", "/bin/sh -c 'renice -20 -p $$ >/dev/null 2>&1; exec \"$0\" \"$@\"' "
                + quoted + " >" + SCHED_LOG + " 2>&1 & pid=$!; "
                + "for i in $(seq 600); do [ \"$(cat " + SCHED_EXT_STATE + ")\" = enabled ] && [ -s " + SCHED_EXT_OPS + " ] && break; "
                + "kill -0 $pid 2>/dev/null || break; sleep 0.05; done; "
                // back to 0: every thread of every process in its group (threads started while loading inherited -20)
                + "renice 0 -g \"$(cut -d' ' -f5 /proc/$pid/stat)\" >/dev/null 2>&1; echo $pid; echo \"$(cat "
                + SCHED_EXT_STATE + " 2>/dev/null)\"; "
                // the scheduler's fate: still running, or its exit status
                + "{ kill -0 $pid 2>/dev/null && echo running; } || { wait $pid; echo \"exit $?\"; }"),
                Map.of(), Duration.ofSeconds(60));
        List<String> lines = r.stdoutText().lines().toList();
        String state = lines.size() < 2 ? "" : lines.get(1).strip();
        if (!state.equals("enabled")) {
            String process = lines.size() < 3 ? "" : lines.get(2).strip();
            String output = GuestText.lines(tail(output()));
            if (state.isEmpty()) {
                throw new ScenarioException("scheduler " + b.name() + ": this kernel has no sched_ext (no " + SCHED_EXT_STATE
                        + "); boot one built with CONFIG_SCHED_CLASS_EXT=y (`jktstr kernel build`)"
                        + (output.isEmpty() ? "" : "; its output: " + output));
            }
            String how = process.startsWith("exit ") ? "it exited with status " + GuestText.line(process.substring(5), 16)
                    : "it is running but sched_ext was not enabled within 30 s";
            List<String> kmsg = schedExtKmsg();
            List<String> news = kmsg.subList(Math.min(kmsgBefore, kmsg.size()), kmsg.size());
            String kernelSaid = news.isEmpty() ? "" : "; the kernel: " + GuestText.line(String.join(" / ",
                    news.subList(Math.max(0, news.size() - 6), news.size())), 1000);
            // sched_ext schedulers report their exit as "EXIT: <reason> (<message>)" (UEI_REPORT): their own words
            String said = output.lines().filter(l -> l.startsWith("EXIT:")).reduce((x, y) -> y)
                    .map(l -> "; it reported: " + GuestText.line(l, 500)).orElse("");
            throw new SchedulerFailedException(b.name(), "failed to attach: " + how + " (sched_ext state: "
                    + GuestText.line(state, 64) + ")" + said + kernelSaid, output);
        }
        log.info("scheduler {} running (guest pid {})", b.name(), GuestText.line(lines.get(0), 32));
    }

    /** Whether the sched_ext scheduler should be attached now (false after a detach, and under EEVDF). */
    boolean expected() {
        return expected && active != null;
    }

    /** The scheduler in charge now: the sched_ext binary attached, or EEVDF when none is. */
    Scheduler current() {
        Scheduler.Binary b = active;
        return b != null && expected ? b : Scheduler.eevdf();
    }

    /** Stops the sched_ext scheduler with SIGINT and waits until sched_ext is disabled. */
    void detach() {
        Scheduler.Binary b = binaryOrFail("detach");
        stop(b);
        expected = false;
    }

    private void stop(Scheduler.Binary b) {
        shell.sh("killall -INT \"$1\"; for i in $(seq 200); do [ \"$(cat " + SCHED_EXT_STATE + ")\" = disabled ] && exit 0; "
                + " sleep 0.1; done; echo \"sched_ext is $(cat " + SCHED_EXT_STATE + ") 20 s after SIGINT\" >&2; exit 1", b.name());
    }

    /** Starts the sched_ext scheduler again (after {@link #detach}). */
    void attach() {
        Scheduler.Binary b = binaryOrFail("attach");
        start(b);
        expected = true;
    }

    /** See {@link Ctx#replaceScheduler}. */
    Ctx.SchedulerSwap replace(Scheduler.Binary next) {
        next.validate("scheduler");
        install(next);
        Scheduler from = current();
        String fromOps = from instanceof Scheduler.Binary ? opsName() : "";
        long t0 = System.nanoTime();
        if (from instanceof Scheduler.Binary b) {
            stop(b);
            expected = false;
        }
        long t1 = System.nanoTime();
        start(next);
        active = next;
        expected = true;
        long t2 = System.nanoTime();
        String toOps = opsName();
        log.info("scheduler {} ({}) replaced by {} ({}) in {} + {} ms", from.name(), fromOps, next.name(), toOps,
                (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
        return new Ctx.SchedulerSwap(from.name(), fromOps, next.name(), toOps, Duration.ofNanos(t1 - t0), Duration.ofNanos(t2 - t1));
    }

    /**
     * Copies a scheduler binary into the guest (at {@link Scheduler.Binary#guestPath()}) unless it is there already;
     * a different file under the same name is refused (the guest finds schedulers by name).
     */
    void install(Scheduler.Binary b) {
        Path host = b.path().toAbsolutePath().normalize();
        Path there = installed.get(b.guestPath());
        if (there != null) {
            if (!there.equals(host)) {
                throw new ScenarioException("scheduler " + b.path() + ": another binary named " + b.name() + " (" + there
                        + ") is already in the guest; give it another file name");
            }
            return;
        }
        long t0 = System.nanoTime();
        GuestBinary.upload(agent, host, b.guestPath(), Duration.ofSeconds(60));
        installed.put(b.guestPath(), host);
        log.info("scheduler {} uploaded in {} ms", b.name(), (System.nanoTime() - t0) / 1_000_000);
    }

    /** sched_ext's ops name, "" when no scheduler is attached; through {@link GuestText#line} (the scheduler chose it). */
    String opsName() {
        return GuestText.line(shell.readText(SCHED_EXT_OPS).strip(), 256);
    }

    /** sched_ext's state as the guest reports it ({@code enabled}, {@code disabled}, …), or "" without sched_ext. */
    String state() {
        return GuestText.line(shell.readText(SCHED_EXT_STATE).strip(), 64);
    }

    private Scheduler.Binary binaryOrFail(String what) {
        Scheduler.Binary b = active;
        if (b != null) {
            return b;
        }
        throw new ScenarioException(what + " scheduler: this VM runs EEVDF, there is no sched_ext scheduler to " + what);
    }

    /** The scheduler's latest exit reason from kmsg (sched_ext's "disabled (…)" line), if it exited; cleaned. */
    Optional<String> exitReason() {
        List<String> hits = new ArrayList<>();
        try {
            for (String rec : agent.readKmsg()) {
                int semi = rec.indexOf(';');
                String text = semi >= 0 ? rec.substring(semi + 1) : rec;
                if (text.contains("sched_ext") && (text.contains("disabled") || text.contains("error") || text.contains("stall"))) {
                    hits.add(text.strip());
                }
            }
        } catch (GuestException e) {
            log.debug("reading kmsg: {}", e.toString());
        }
        // kmsg holds the whole boot: the latest disable is this run's
        return hits.isEmpty() ? Optional.empty() : Optional.of(GuestText.line(hits.get(hits.size() - 1), 1000));
    }

    /** Every kmsg line about sched_ext (its enable, disable and error messages), oldest first; raw guest text. */
    private List<String> schedExtKmsg() {
        List<String> out = new ArrayList<>();
        try {
            for (String rec : agent.readKmsg()) {
                int semi = rec.indexOf(';');
                String text = semi >= 0 ? rec.substring(semi + 1) : rec;
                if (text.startsWith("sched_ext")) { // not the stack frames of an error dump
                    out.add(text.strip());
                }
            }
        } catch (GuestException e) {
            log.debug("reading kmsg: {}", e.toString());
        }
        return out;
    }

    /**
     * The kernel's sched_ext lines since the latest scheduler was enabled (its disable reason and error message) and
     * the end of that scheduler's output: the text an {@link ExpectedSchedulerError} is checked against; raw guest
     * text. Lines before the latest enable belong to earlier schedulers of this guest and are left out.
     */
    String errorText() {
        return String.join("\n", kmsgSinceEnable()) + "\n" + log();
    }

    /** The kernel's sched_ext lines since the latest scheduler was enabled, oldest first; raw guest text. */
    List<String> kmsgSinceEnable() {
        List<String> lines = schedExtKmsg();
        int from = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("enabled")) {
                from = i + 1;
            }
        }
        return List.copyOf(lines.subList(from, lines.size()));
    }

    /** The end of the latest sched_ext scheduler's own output, "" when none ran; raw guest text. */
    String log() {
        return active != null ? output() : "";
    }

    private String output() {
        try {
            // tail in the guest: a scheduler may log without end, the host takes what it shows
            return agent.exec(List.of("/bin/busybox", "tail", "-c", String.valueOf(SCHED_LOG_TAIL), SCHED_LOG), Map.of(),
                    Duration.ofSeconds(30)).stdoutText();
        } catch (GuestException e) {
            return "";
        }
    }

    private static String tail(String s) {
        return s.length() <= 2000 ? s.strip() : "…" + s.substring(s.length() - 2000).strip();
    }

    /** Before power-off: SIGINT to the scheduler (if any) and half a second to let go; a failure is the caller's. */
    void stopForPowerOff() {
        Scheduler.Binary b = active;
        if (b != null) {
            agent.exec(List.of("/bin/sh", "-c", "killall -INT \"$1\" 2>/dev/null; sleep 0.5; true", "sh", b.name()),
                    Map.of(), Duration.ofSeconds(10));
        }
    }
}
