package dev.jktstr.virtio;

/**
 * The working half of a {@link VirtioDevice}, hidden from callers: what the transport calls on
 * activation, reset and each worker pass. Every method except {@link #attach} and {@link #failed}
 * runs with the transport's processing lock held, so queue state is touched by one thread at a time.
 */
interface DeviceEngine {

    /** What the device sees of its transport while it processes. */
    interface Queues {
        /** The queue, or null while the driver has not made it ready. */
        Virtqueue queue(int index);

        /** Another thread (a reset, a status change) waits for the processing lock: return soon. */
        boolean yieldRequested();
    }

    /** Host-side events (bytes to deliver, space freed) call {@code wake} to get a worker pass. */
    void attach(Runnable wake);

    /** The driver set DRIVER_OK with these negotiated features. */
    void activate(long features);

    /**
     * Processes whatever the queues and host side allow, without ever blocking on the host.
     * Returns 0, or the nanoseconds after which the worker should pass again even without a
     * doorbell (a throttle delaying the next request). Throws {@link GuestViolation}.
     */
    long process(Queues queues);

    /** The driver reset the device: forget guest-side state; host-side streams survive. */
    void reset();

    /** The device entered the failed state (reason as logged); cleared by the next reset. */
    void failed(String reason);
}
