package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_F_VERSION_1;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_RING_F_EVENT_IDX;
import static dev.jktstr.bindings.virtio.VirtioH.VIRTIO_RING_F_INDIRECT_DESC;

/**
 * Feature negotiation (virtio 1.2 §2.2, §4.2.2): the offered features the driver reads 32 bits at a
 * time, the features it writes back, and whether they may be accepted. Not thread-safe:
 * {@link MmioRegisterFile} calls it under its register monitor; freezing the features once
 * FEATURES_OK is set is the register file's job, since that depends on the status register.
 */
final class FeatureNegotiation {

    /** Ring and transport features every device offers. */
    static final long TRANSPORT_FEATURES = (1L << VIRTIO_F_VERSION_1) | (1L << VIRTIO_RING_F_INDIRECT_DESC)
            | (1L << VIRTIO_RING_F_EVENT_IDX);

    private final long offered;
    private int deviceFeaturesSel;
    private int driverFeaturesSel;
    private long driverFeatures;
    /** The driver wrote feature bits beyond the 64 this transport knows: FEATURES_OK is refused. */
    private boolean driverFeaturesBeyond64;

    FeatureNegotiation(long deviceFeatures) {
        this.offered = deviceFeatures | TRANSPORT_FEATURES;
    }

    void selectDeviceFeatures(int sel) {
        deviceFeaturesSel = sel;
    }

    void selectDriverFeatures(int sel) {
        driverFeaturesSel = sel;
    }

    /** DeviceFeatures: the selected 32-bit word of the offered features (0 beyond 64 bits). */
    int deviceFeaturesWord() {
        return switch (deviceFeaturesSel) {
            case 0 -> (int) offered;
            case 1 -> (int) (offered >>> 32);
            default -> 0;
        };
    }

    /** DriverFeatures: sets the selected 32-bit word of the driver's features. */
    void writeDriverFeaturesWord(int v) {
        long unsigned = Integer.toUnsignedLong(v);
        switch (driverFeaturesSel) {
            case 0 -> driverFeatures = (driverFeatures & 0xffffffff00000000L) | unsigned;
            case 1 -> driverFeatures = (driverFeatures & 0xffffffffL) | (unsigned << 32);
            default -> driverFeaturesBeyond64 |= v != 0;
        }
    }

    long driverFeatures() {
        return driverFeatures;
    }

    /** Whether FEATURES_OK may stick: a subset of the offered features, VERSION_1 included. */
    boolean acceptable() {
        return !driverFeaturesBeyond64 && (driverFeatures & ~offered) == 0
                && (driverFeatures & (1L << VIRTIO_F_VERSION_1)) != 0;
    }

    void reset() {
        deviceFeaturesSel = 0;
        driverFeaturesSel = 0;
        driverFeatures = 0;
        driverFeaturesBeyond64 = false;
    }
}
