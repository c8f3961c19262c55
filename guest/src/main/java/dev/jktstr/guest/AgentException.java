package dev.jktstr.guest;

import java.util.Optional;

/**
 * A request to the guest agent failed. When the agent reported a failed syscall, {@link #errnoName()} holds its
 * errno name ({@code ENOENT}, {@code EACCES}, ...).
 */
public class AgentException extends GuestException {
    private final String errnoName;

    public AgentException(String message) {
        this(message, null, null);
    }

    public AgentException(String message, Throwable cause) {
        this(message, null, cause);
    }

    public AgentException(String message, String errnoName, Throwable cause) {
        super(message, cause);
        this.errnoName = errnoName == null || errnoName.isEmpty() ? null : errnoName;
    }

    /** The errno name the agent reported, if the failure was a syscall's. */
    public Optional<String> errnoName() {
        return Optional.ofNullable(errnoName);
    }
}
