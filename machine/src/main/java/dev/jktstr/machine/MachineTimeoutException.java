package dev.jktstr.machine;

import java.time.Duration;

/** The guest did not do what was awaited (answer, become ready, exit) within the configured time. */
public final class MachineTimeoutException extends MachineException {

    private final Duration timeout;

    public MachineTimeoutException(String message, Duration timeout, String consoleTail) {
        this(message, timeout, consoleTail, null);
    }

    public MachineTimeoutException(String message, Duration timeout, String consoleTail, Throwable cause) {
        super(message + " (timeout " + timeout.toMillis() + " ms)", consoleTail, cause);
        this.timeout = timeout;
    }

    public Duration timeout() {
        return timeout;
    }
}
