package dev.jktstr.kvm;

import dev.jktstr.machine.MachineException;

/**
 * Base of the kvm layer's unchecked exception family. A subclass of {@link MachineException} so that
 * callers of the Machine SPI catch one family whatever the backend.
 */
public class KvmException extends MachineException {

    public KvmException(String message) {
        super(message);
    }

    public KvmException(String message, Throwable cause) {
        super(message, cause);
    }
}
