package dev.jktstr.virtio;

import java.lang.foreign.MemorySegment;

/**
 * A virtio device type: what it offers the driver. {@link VirtioMmioDevice} does the rest (registers,
 * feature negotiation, queues, status, interrupts) and drives the device's processing on its worker
 * thread. Sealed: the processing side is package-private, so the devices live here.
 */
public sealed interface VirtioDevice extends AutoCloseable permits VirtioConsole, VirtioBlock {

    /** The virtio device id ({@code VIRTIO_ID_CONSOLE}, {@code VIRTIO_ID_BLOCK}). */
    int deviceId();

    /**
     * The device-specific feature bits offered. The transport adds {@code VIRTIO_F_VERSION_1},
     * {@code VIRTIO_RING_F_INDIRECT_DESC} and {@code VIRTIO_RING_F_EVENT_IDX}.
     */
    long deviceFeatures();

    /** How many virtqueues the device has (the driver may use fewer). */
    int queueCount();

    /** The largest size the driver may give queue {@code queue} (a power of two). */
    int queueMaxSize(int queue);

    /**
     * The device configuration space (at offset 0x100 of the register window), little-endian and
     * read-only: no device here offers a field the driver may write (blk CONFIG_WCE, console EMERG_WRITE).
     */
    MemorySegment configSpace();

    /** Releases what the device holds (files, memory, blocked host streams). Idempotent. */
    @Override
    void close();
}
