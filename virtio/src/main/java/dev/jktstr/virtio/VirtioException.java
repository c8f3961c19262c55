package dev.jktstr.virtio;

import dev.jktstr.machine.MachineException;

/**
 * Host-side misuse of a virtio device or a failure to set one up (an image file of the wrong size,
 * an unknown port name). What the guest does wrong is never an exception: it puts the device into
 * its failed state (see {@link VirtioMmioDevice#failure()}).
 */
public class VirtioException extends MachineException {

    public VirtioException(String message) {
        super(message);
    }

    public VirtioException(String message, Throwable cause) {
        super(message, cause);
    }
}
