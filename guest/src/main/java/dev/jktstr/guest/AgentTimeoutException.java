package dev.jktstr.guest;

/** The agent did not answer within the request's timeout (or did not announce itself within the ready timeout). */
public class AgentTimeoutException extends AgentException {
    public AgentTimeoutException(String message) {
        super(message);
    }
}
