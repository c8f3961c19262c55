package dev.jktstr.kvm;

/**
 * A device whose registers go into a snapshot. As a state machine its whole state is a few values, so it gives them
 * as bytes and takes them back into a fresh device of the same kind; host-side connections (its output sink, its
 * interrupt line) belong to the new VM and are not part of the state.
 */
public interface StatefulDevice {

    /** The device's registers, for {@link #restoreState} of a fresh device of the same kind. */
    byte[] saveState();

    /**
     * Takes what {@link #saveState} gave. The bytes come from a file: anything that cannot be such a state throws
     * ({@link IllegalArgumentException}, {@link java.nio.BufferUnderflowException}) and leaves the device unusable.
     */
    void restoreState(byte[] state);
}
