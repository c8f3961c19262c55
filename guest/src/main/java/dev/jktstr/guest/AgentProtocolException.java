package dev.jktstr.guest;

/** The guest sent something that is not a valid frame or payload (bad magic, CRC, length or encoding). */
public class AgentProtocolException extends AgentException {
    public AgentProtocolException(String message) {
        super(message);
    }

    public AgentProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
