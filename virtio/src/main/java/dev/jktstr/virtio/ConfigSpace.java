package dev.jktstr.virtio;

import java.lang.foreign.MemorySegment;

/** Little-endian reads of a device configuration space held in a segment; 0 outside it. */
final class ConfigSpace {

    private ConfigSpace() {}

    static long read(MemorySegment config, int offset, int size) {
        if (offset < 0 || !(size == 1 || size == 2 || size == 4 || size == 8) || offset > config.byteSize() - size) {
            return 0;
        }
        return switch (size) {
            case 1 -> Byte.toUnsignedLong(config.get(java.lang.foreign.ValueLayout.JAVA_BYTE, offset));
            case 2 -> Short.toUnsignedLong(config.get(Virtqueue.U16, offset));
            case 4 -> Integer.toUnsignedLong(config.get(Virtqueue.U32, offset));
            default -> config.get(Virtqueue.U64, offset);
        };
    }
}
