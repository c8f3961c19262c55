package dev.jktstr.guest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Programs run in the background in the guest while the agent goes on serving requests: the agent binary's
 * {@code payload} tool (src/main/c/payload_tool.c) started through {@link AgentClient#exec}, its end read back with
 * {@link AgentClient#readFile}. Each program has a directory of its own in the guest that the tool writes its end
 * into ({@code result}, then its output's tail in {@code output}); the program runs in a process group of its own,
 * which {@link #kill} ends and which ends with the program. Nothing here blocks the agent: waiting is the caller's
 * polling of {@link #ended}.
 */
public final class BackgroundPrograms {
    /** The agent binary in a guest (the image's {@code /init}). */
    public static final String AGENT_IN_GUEST = "/init";
    /** The largest output tail the tool keeps. */
    public static final int MAX_TAIL = 16 << 20;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final AgentClient agent;
    private final String tool;

    /** Programs of the guest behind {@code agent}, started by the agent binary at {@code agentBinary} in that guest. */
    public BackgroundPrograms(AgentClient agent, String agentBinary) {
        this.agent = agent;
        this.tool = agentBinary;
    }

    /** Programs of a guest booted from a {@link GuestImage} (the tool is its {@code /init}). */
    public BackgroundPrograms(AgentClient agent) {
        this(agent, AGENT_IN_GUEST);
    }

    /**
     * How a program ended.
     *
     * @param signaled    a signal ended it ({@code code} is the signal), else it exited ({@code code} is the status)
     * @param outputTail  the last bytes of its stdout and stderr together (the tail asked for at the start); guest
     *                    text, to be cleaned before anyone sees it
     * @param outputBytes how much it wrote in all; {@link #droppedBytes()} of it were not kept
     * @param elapsed     from its start to its end, in the guest
     */
    public record Ended(boolean signaled, int code, byte[] outputTail, long outputBytes, Duration elapsed) {
        public long droppedBytes() {
            return Math.max(0, outputBytes - outputTail.length);
        }
    }

    /**
     * Starts {@code argv} (found through the guest's PATH) in the background, in the cgroup directory
     * {@code cgroupDir} ("" = where the agent is), keeping the last {@code tailBytes} of its output; {@code dir}
     * (absolute, created) is the program's own directory. Returns its PID, also its process group.
     *
     * @throws AgentException with the kernel's errno name ({@code ENOENT}, {@code EACCES}, {@code ENOEXEC},
     *     {@code EBUSY}, ...) when it could not join the cgroup or be executed
     */
    public int start(String dir, String cgroupDir, int tailBytes, List<String> argv) {
        if (argv.isEmpty() || tailBytes < 1 || tailBytes > MAX_TAIL) {
            throw new IllegalArgumentException("a program and a tail of 1.." + MAX_TAIL + " bytes are needed");
        }
        List<String> cmd = new ArrayList<>(List.of(tool, "payload", dir, cgroupDir, String.valueOf(tailBytes)));
        cmd.addAll(argv);
        ExecResult r = agent.exec(cmd, Map.of(), START_TIMEOUT);
        String line = r.stdoutText().strip();
        if (r.succeeded() && line.startsWith("started ")) {
            try {
                return Integer.parseInt(line.substring("started ".length()).strip());
            } catch (NumberFormatException e) {
                throw new AgentProtocolException("payload tool: unreadable start report '" + clean(line) + "'");
            }
        }
        // "error ERRNAME ERRNO what: message"
        String[] parts = line.split(" ", 4);
        if (parts.length == 4 && parts[0].equals("error")) {
            throw new AgentException(clean(parts[3]) + " (" + clean(parts[1]) + ")", clean(parts[1]), null);
        }
        throw new AgentException("payload tool failed (" + r + "): " + clean(line + " " + r.stderrText()));
    }

    /** How the program of {@code dir} ended, or empty while it runs. */
    public Optional<Ended> ended(String dir) {
        byte[] result;
        try {
            result = agent.readFile(dir + "/result", 4096, agent.defaultTimeout());
        } catch (AgentException e) {
            if (e.errnoName().orElse("").equals("ENOENT")) {
                return Optional.empty();
            }
            throw e;
        }
        Map<String, String> fields = new java.util.HashMap<>();
        for (String l : new String(result, StandardCharsets.UTF_8).split("\n")) {
            int sp = l.indexOf(' ');
            if (sp > 0) {
                fields.put(l.substring(0, sp), l.substring(sp + 1).strip());
            }
        }
        try {
            boolean signaled = "signaled".equals(fields.get("status"));
            int code = Integer.parseInt(fields.getOrDefault("code", ""));
            long bytes = Long.parseLong(fields.getOrDefault("bytes", ""));
            long ms = Long.parseLong(fields.getOrDefault("ms", ""));
            byte[] output = agent.readFile(dir + "/output", MAX_TAIL, agent.defaultTimeout());
            return Optional.of(new Ended(signaled, code, output, Math.max(bytes, output.length), Duration.ofMillis(ms)));
        } catch (NumberFormatException e) {
            throw new AgentProtocolException("payload tool: unreadable result in " + dir + ": '"
                    + clean(new String(result, StandardCharsets.UTF_8)) + "'");
        }
    }

    /**
     * Sends SIGKILL to the program's process group unless it has ended already (its {@code result} exists: until then
     * the program is not reaped, so its PID cannot name another process). The end follows within moments
     * ({@link #ended}).
     */
    public void kill(String dir, int pid) {
        ExecResult r = agent.exec(List.of(tool, "payload-kill", dir, String.valueOf(pid)), Map.of(), START_TIMEOUT);
        String line = r.stdoutText().strip();
        if (!r.succeeded()) {
            String[] parts = line.split(" ", 4);
            String errno = parts.length == 4 && parts[0].equals("error") ? clean(parts[1]) : null;
            throw new AgentException("killing the program of " + dir + " failed (" + r + "): " + clean(line + " "
                    + r.stderrText()), errno, null);
        }
    }

    private static String clean(String guest) {
        return dev.jktstr.machine.GuestText.line(guest.strip(), 500);
    }
}
