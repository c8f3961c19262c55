package dev.jktstr.machine;

/** An operation needs the machine in another state (registers need it paused; it already exited). */
public final class MachineStateException extends MachineException {

    public MachineStateException(String message) {
        super(message);
    }

    public MachineStateException(String message, String consoleTail) {
        super(message, consoleTail, null);
    }
}
