package dev.jktstr.guest;

import dev.jktstr.machine.GuestText;
import java.time.Duration;
import java.util.Objects;

/** How the agent client turns the guest's ERROR frames and internal failures into its exceptions, and its argument checks. */
final class AgentErrors {

    private static final int MAX_ERRNO_NAME = 32;
    private static final int MAX_ERROR_MESSAGE = 1024;

    private AgentErrors() {
    }

    /** An ERROR frame's errno, errno name and message as an {@link AgentException} about {@code what}. */
    static AgentException remoteError(String what, Frame f) {
        PayloadReader r = new PayloadReader(f.payload(), "ERROR response");
        long errno = r.u32();
        String name = r.str();
        String message = r.str();
        r.end();
        // both strings are the guest's: they reach logs and terminals only cleaned and cut to size
        String errnoName = GuestText.line(name, MAX_ERRNO_NAME);
        String shown = errnoName.isEmpty() ? (errno != 0 ? "errno " + errno : "") : errnoName;
        return new AgentException(what + " failed in the guest: " + GuestText.line(message, MAX_ERROR_MESSAGE)
                + (shown.isEmpty() ? "" : " (" + shown + ")"), errnoName.isEmpty() ? null : errnoName, null);
    }

    /** A failure seen on another thread, rethrown in the caller's with {@code what} in front and its kind kept. */
    static AgentException rethrown(String what, Throwable cause) {
        String message = what + ": " + cause.getMessage();
        if (cause instanceof AgentProtocolException) {
            return new AgentProtocolException(message, cause);
        }
        if (cause instanceof AgentException a) {
            return new AgentException(message, a.errnoName().orElse(null), cause);
        }
        return new AgentException(message, cause);
    }

    static void requirePositive(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    /** A file size cap within 0..{@link AgentClient#MAX_FILE_CAP}. */
    static long requireCap(long bytes) {
        if (bytes < 0 || bytes > AgentClient.MAX_FILE_CAP) {
            throw new IllegalArgumentException("file size cap must be within 0.." + AgentClient.MAX_FILE_CAP + ": " + bytes);
        }
        return bytes;
    }
}
