package dev.jktstr.guest;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

/**
 * Reads and writes frames: a 20-byte little-endian header {magic u32, id u32, type u16, flags u16, length u32,
 * crc32 u32 of the payload} followed by the payload. Everything read is validated before it is believed.
 */
final class FrameCodec {
    private FrameCodec() {}

    static byte[] header(int id, int type, byte[] payload, int offset, int length) {
        CRC32 crc = new CRC32();
        crc.update(payload, offset, length);
        return ByteBuffer.allocate(Protocol.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(Protocol.MAGIC).putInt(id).putShort((short) type).putShort((short) 0)
                .putInt(length).putInt((int) crc.getValue()).array();
    }

    static byte[] encode(int id, int type, byte[] payload) {
        byte[] frame = new byte[Protocol.HEADER_SIZE + payload.length];
        System.arraycopy(header(id, type, payload, 0, payload.length), 0, frame, 0, Protocol.HEADER_SIZE);
        System.arraycopy(payload, 0, frame, Protocol.HEADER_SIZE, payload.length);
        return frame;
    }

    static void write(OutputStream out, int id, int type, byte[] payload, int offset, int length) throws IOException {
        if (length > Protocol.MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + length + " bytes exceeds " + Protocol.MAX_PAYLOAD);
        }
        out.write(header(id, type, payload, offset, length));
        out.write(payload, offset, length);
        out.flush();
    }

    /**
     * Reads one frame. Returns null on a clean end of stream before a header; throws {@link EOFException} when the
     * stream ends inside a frame and {@link AgentProtocolException} for a frame that fails validation.
     */
    static Frame read(InputStream in, int maxPayload) throws IOException {
        return read(in, maxPayload, () -> { });
    }

    /** As {@link #read(InputStream, int)}, calling {@code onFirstByte} once the frame's first byte has arrived. */
    static Frame read(InputStream in, int maxPayload, Runnable onFirstByte) throws IOException {
        byte[] h = new byte[Protocol.HEADER_SIZE];
        int first = readFully(in, h, 0, 1);
        if (first == 0) {
            return null;
        }
        onFirstByte.run();
        int got = 1 + readFully(in, h, 1, h.length - 1);
        if (got < h.length) {
            throw new EOFException("control channel ended inside a frame header (" + got + " of " + h.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt();
        int id = b.getInt();
        int type = Short.toUnsignedInt(b.getShort());
        int flags = Short.toUnsignedInt(b.getShort());
        long length = Integer.toUnsignedLong(b.getInt());
        int crc = b.getInt();
        if (magic != Protocol.MAGIC) {
            throw new AgentProtocolException(String.format("bad frame magic 0x%08x (expected 0x%08x)", magic, Protocol.MAGIC));
        }
        if (flags != 0) {
            throw new AgentProtocolException(String.format("bad frame flags 0x%x in frame %s", flags, Integer.toUnsignedString(id)));
        }
        if (length > maxPayload) {
            throw new AgentProtocolException("frame length " + length + " exceeds the limit of " + maxPayload + " bytes");
        }
        byte[] payload = new byte[(int) length];
        int n = readFully(in, payload, 0, payload.length);
        if (n < payload.length) {
            throw new EOFException("control channel ended inside a frame payload (" + n + " of " + length + " bytes)");
        }
        CRC32 actual = new CRC32();
        actual.update(payload);
        if ((int) actual.getValue() != crc) {
            throw new AgentProtocolException(String.format("bad payload CRC32 in frame %s type %s: header says 0x%08x, payload has 0x%08x",
                    Integer.toUnsignedString(id), Protocol.typeName(type), crc, (int) actual.getValue()));
        }
        return new Frame(id, type, payload);
    }

    private static int readFully(InputStream in, byte[] buf, int off, int len) throws IOException {
        int total = 0;
        while (total < len) {
            int r = in.read(buf, off + total, len - total);
            if (r < 0) {
                break;
            }
            total += r;
        }
        return total;
    }
}
