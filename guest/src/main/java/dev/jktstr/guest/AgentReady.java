package dev.jktstr.guest;

import dev.jktstr.machine.GuestText;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The agent's READY announcement: the handshake that opens every connection (the agent sends it when it sees the host
 * connect, and again on HELLO). Its strings are the guest's, so they are kept only cleaned and cut to size.
 *
 * @param agentStart the guest's uptime when the agent began (after mounting proc)
 * @param readySent the guest's uptime when it sent READY
 * @param kernelRelease {@code uname -r}, through {@link GuestText#line}
 * @param mountFailures {@code "fstype:target:ERRNO"} each, through {@link GuestText#line}; at most 32
 */
record AgentReady(int version, Duration agentStart, Duration readySent, String kernelRelease, List<String> mountFailures) {

    // Caps on guest strings the client keeps or shows (they are cleaned with GuestText as well).
    private static final int MAX_RELEASE = 256;
    private static final int MAX_MOUNT_FAILURES = 32;

    /** Decodes a READY frame; a malformed one, or one of another protocol version, is an {@link AgentProtocolException}. */
    static AgentReady parse(Frame f) {
        PayloadReader r = new PayloadReader(f.payload(), "READY");
        int version = (int) r.u32();
        long startMs = r.u64();
        long readyMs = r.u64();
        String release = r.str();
        String failures = r.str();
        r.end();
        if (version != Protocol.VERSION) {
            throw new AgentProtocolException("guest agent speaks protocol version " + version + ", this client "
                    + Protocol.VERSION + " (rebuild the image with this jktstr-guest)");
        }
        return new AgentReady(version, Duration.ofMillis(startMs), Duration.ofMillis(readyMs),
                GuestText.line(release, MAX_RELEASE), failures.isEmpty() ? List.of()
                        : Arrays.stream(failures.split(",", MAX_MOUNT_FAILURES + 1)).limit(MAX_MOUNT_FAILURES)
                                .map(m -> GuestText.line(m, MAX_RELEASE)).toList());
    }
}
