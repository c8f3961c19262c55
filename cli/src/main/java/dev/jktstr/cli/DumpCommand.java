package dev.jktstr.cli;

import dev.jktstr.machine.GuestText;
import dev.jktstr.scenario.InvalidScenarioException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jktstr dump show FILE}: a failure dump ({@code *.failure-dump.json}) read for a person. */
@Command(name = "dump", mixinStandardHelpOptions = true, description = "Work with failure dumps.",
        subcommands = DumpCommand.Show.class)
public final class DumpCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print a failure dump: the bug summary, failed claims, the exit's stack, every vCPU's registers,"
                    + " the flight recorder, and the ends of the kernel log and the scheduler's output.")
    static final class Show implements Runnable {
        @Parameters(index = "0", paramLabel = "FILE")
        Path file;

        @Option(names = "--lines", paramLabel = "N", defaultValue = "30",
                description = "Lines of the kernel log and of the scheduler's output to show (default: ${DEFAULT-VALUE}).")
        int lines;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            Map<String, Object> d = read(file);
            PrintWriter out = spec.commandLine().getOut();
            Map<String, Object> verdict = map(d.get("verdict"));
            Map<String, Object> exit = map(d.get("schedulerExit"));
            out.println("BUG SUMMARY (" + file + ")");
            out.println("  run:       " + text(d.get("scenario")) + " on " + text(d.get("topology")) + ", " + text(d.get("backend"))
                    + ", Linux " + text(d.get("kernelRelease")) + " (collected " + text(d.get("collected")) + ")");
            out.println("  outcome:   " + text(verdict.get("outcome")) + " — " + text(verdict.get("reason")));
            out.println("  scheduler: " + text(exit.get("scheduler")) + ", sched_ext state '" + text(exit.get("schedExtState")) + "'"
                    + (text(exit.get("kindName")).isEmpty() ? "" : ", exit " + text(exit.get("kindName")))
                    + (text(exit.get("reason")).isEmpty() ? "" : " (" + text(exit.get("reason")) + ")"));
            if (!text(exit.get("message")).isEmpty()) {
                out.println("  error:     " + text(exit.get("message")));
            }
            if (!text(exit.get("task")).isEmpty()) {
                out.println("  where:     " + text(exit.get("task")) + (exit.get("cpu") instanceof Number n ? " on CPU " + n : ""));
            }
            List<Object> claims = list(verdict.get("failedClaims"));
            if (!claims.isEmpty()) {
                out.println("claims not passed:");
                for (Object o : claims) {
                    Map<String, Object> c = map(o);
                    out.println("  " + text(c.get("outcome")) + "  " + text(c.get("label")) + " = "
                            + (c.get("value") == null ? "-" : c.get("value")) + ", wanted " + text(c.get("wanted"))
                            + (text(c.get("detail")).isEmpty() ? "" : " (" + text(c.get("detail")) + ")"));
                }
            }
            List<Object> frames = list(exit.get("backtrace"));
            if (!frames.isEmpty()) {
                out.println("stack of the exit:");
                frames.forEach(f -> out.println("  " + text(f)));
            }
            out.println("vCPUs:");
            for (Object o : list(d.get("vcpus"))) {
                Map<String, Object> v = map(o);
                Map<String, Object> r = map(v.get("registers"));
                out.println("  cpu " + v.get("cpu") + ": " + (r.isEmpty() ? "unreadable: " + text(v.get("error"))
                        : "RIP=" + text(r.get("RIP")) + " RSP=" + text(r.get("RSP")) + " RFLAGS=" + text(r.get("RFLAGS"))
                        + " CR3=" + text(r.get("CR3"))));
            }
            Map<String, Object> recorder = map(d.get("flightRecorder"));
            List<Object> snaps = list(recorder.get("snapshots"));
            out.println("flight recorder: " + snaps.size() + " snapshot(s) one every " + recorder.get("intervalMs") + " ms ("
                    + text(recorder.get("status")) + ")");
            if (!snaps.isEmpty()) {
                Map<String, Object> last = map(snaps.getLast());
                out.println("  latest: " + text(last.get("takenAt")) + ", " + list(last.get("maps")).size() + " BPF map(s), "
                        + list(last.get("runqueues")).size() + " runqueue(s)");
            }
            Map<String, Object> kmsg = map(d.get("kmsg"));
            List<Object> records = list(kmsg.get("records"));
            out.println("kernel log (last " + Math.min(lines, records.size()) + " of " + records.size() + " records):");
            for (Object o : records.subList(Math.max(0, records.size() - lines), records.size())) {
                Map<String, Object> k = map(o);
                out.printf("  [%10.6f] %s%n", k.get("usec") instanceof Number n ? n.doubleValue() / 1e6 : 0.0, text(k.get("text")));
            }
            List<String> output = GuestText.lines(text(d.get("schedulerOutput"))).lines().toList();
            out.println("scheduler output (last " + Math.min(lines, output.size()) + " of " + output.size() + " lines):");
            output.subList(Math.max(0, output.size() - lines), output.size()).forEach(l -> out.println("  " + l));
            out.flush();
        }
    }

    /** The dump as maps and lists; anything that is not one is a user error (exit 2), never a stack trace. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> read(Path file) {
        Object tree;
        try {
            tree = JsonTree.read(file);
        } catch (IOException | RuntimeException e) {
            throw new InvalidScenarioException("FILE", file + " is not readable JSON: " + e.getMessage());
        }
        if (!"jktstr-failure-dump".equals(JsonTree.str(tree, "kind"))) {
            throw new InvalidScenarioException("FILE", file + " is not a jktstr failure dump (no \"kind\": \"jktstr-failure-dump\")");
        }
        Double version = JsonTree.num(tree, "version");
        if (version == null || version != 1) {
            throw new InvalidScenarioException("FILE", file + ": failure dump version " + JsonTree.str(tree, "version")
                    + ", this jktstr reads 1");
        }
        return (Map<String, Object>) tree;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return o instanceof List<?> l ? (List<Object>) l : List.of();
    }

    /** A dump's text is the guest's: cleaned for the terminal. */
    private static String text(Object o) {
        return o == null ? "" : GuestText.line(o.toString(), 2000);
    }
}
