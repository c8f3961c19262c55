package dev.jktstr.scenario;

import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.guest.GuestException;
import dev.jktstr.machine.GuestText;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Shell scripts and sysfs reads in the guest, through its agent. Scripts take their values as positional parameters
 * ({@code sh(script, args...)} runs {@code /bin/sh -c script sh args...}): write {@code "$1"}, never splice a value in.
 */
final class GuestShell {
    /** Cap on a sysfs file read through the agent (a sysfs file is at most a page; the guest may say otherwise). */
    static final long SYSFS_READ_CAP = 64 << 10;
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(30);

    private final AgentClient agent;

    GuestShell(AgentClient agent) {
        this.agent = agent;
    }

    /** Runs a shell script in the guest; a non-zero exit is a ScenarioException with its stderr. */
    String sh(String script, String... args) {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", script, "sh"));
        argv.addAll(List.of(args));
        ExecResult r = agent.exec(argv, Map.of(), SCRIPT_TIMEOUT);
        if (!r.succeeded()) {
            String how = r.timedOut() ? "did not finish in " + SCRIPT_TIMEOUT.toSeconds() + " s and was killed"
                    : r.signal() != 0 ? "was killed by signal " + r.signal() : "failed (exit " + r.exitCode() + ")";
            throw new ScenarioException("in the guest, `" + script + "` " + how + ": "
                    + GuestText.lines(r.stderrText().strip(), 2000));
        }
        return r.stdoutText();
    }

    /** A sysfs file's text, "" when it cannot be read; at most {@link #SYSFS_READ_CAP} bytes whatever the guest sends. */
    String readText(String path) {
        try {
            return new String(agent.readFile(path, SYSFS_READ_CAP, agent.defaultTimeout()), StandardCharsets.UTF_8);
        } catch (GuestException e) {
            return "";
        }
    }

    /** {@code s} as one single-quoted shell word, for the few scripts that must build a command line. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
