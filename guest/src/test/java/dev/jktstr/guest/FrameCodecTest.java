package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    static Frame read(byte[] bytes) throws Exception {
        return FrameCodec.read(new ByteArrayInputStream(bytes), Protocol.MAX_PAYLOAD);
    }

    @Test
    void headerLayoutMatchesTheDocumentedFormat() {
        byte[] payload = {9, 8, 7};
        ByteBuffer b = ByteBuffer.wrap(FrameCodec.encode(0x01020304, Protocol.EXEC, payload)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(new String(Arrays.copyOf(b.array(), 4), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("JKTS");
        assertThat(b.getInt(4)).isEqualTo(0x01020304);
        assertThat(b.getShort(8)).isEqualTo((short) Protocol.EXEC);
        assertThat(b.getShort(10)).isZero();
        assertThat(b.getInt(12)).isEqualTo(3);
        CRC32 crc = new CRC32();
        crc.update(payload);
        assertThat(b.getInt(16)).isEqualTo((int) crc.getValue());
        assertThat(b.capacity()).isEqualTo(Protocol.HEADER_SIZE + 3);
    }

    @Test
    void roundTripsSeveralFramesAndEndsCleanly() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] big = new byte[Protocol.DATA_CHUNK];
        new Random(5).nextBytes(big);
        FrameCodec.write(out, 1, Protocol.PING, new byte[0], 0, 0);
        FrameCodec.write(out, 2, Protocol.WRITE_DATA, big, 0, big.length);
        FrameCodec.write(out, -1, Protocol.DATA, big, 10, 20);
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        Frame a = FrameCodec.read(in, Protocol.MAX_PAYLOAD);
        Frame b = FrameCodec.read(in, Protocol.MAX_PAYLOAD);
        Frame c = FrameCodec.read(in, Protocol.MAX_PAYLOAD);
        assertThat(a.id()).isEqualTo(1);
        assertThat(a.payload()).isEmpty();
        assertThat(b.payload()).isEqualTo(big);
        assertThat(Integer.toUnsignedString(c.id())).isEqualTo("4294967295");
        assertThat(c.payload()).isEqualTo(Arrays.copyOfRange(big, 10, 30));
        assertThat(FrameCodec.read(in, Protocol.MAX_PAYLOAD)).isNull();
    }

    @Test
    void corruptFramesAreRejected() {
        byte[] good = FrameCodec.encode(5, Protocol.OK, new byte[] {1, 2, 3, 4});
        byte[] badMagic = good.clone();
        badMagic[0] = 'X';
        assertThatThrownBy(() -> read(badMagic)).isInstanceOf(AgentProtocolException.class).hasMessageContaining("magic");
        byte[] badCrc = good.clone();
        badCrc[good.length - 1] ^= 1;
        assertThatThrownBy(() -> read(badCrc)).isInstanceOf(AgentProtocolException.class).hasMessageContaining("CRC32");
        byte[] badFlags = good.clone();
        badFlags[10] = 1;
        assertThatThrownBy(() -> read(badFlags)).isInstanceOf(AgentProtocolException.class).hasMessageContaining("flags");
        byte[] huge = good.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(12, -1);
        assertThatThrownBy(() -> read(huge)).isInstanceOf(AgentProtocolException.class).hasMessageContaining("exceeds");
        assertThatThrownBy(() -> read(Arrays.copyOf(good, 7))).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> read(Arrays.copyOf(good, good.length - 1))).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> FrameCodec.write(new ByteArrayOutputStream(), 1, Protocol.PING,
                new byte[Protocol.MAX_PAYLOAD + 1], 0, Protocol.MAX_PAYLOAD + 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fuzzedStreamsOnlyYieldFramesOrTypedErrors() {
        Random random = new Random(11);
        byte[] good = FrameCodec.encode(9, Protocol.OK, new PayloadWriter().u32(1).str("abc").strs(List.of("x", "yz")).toBytes());
        for (int i = 0; i < 20_000; i++) {
            byte[] bad = good.clone();
            bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
            if (random.nextBoolean()) {
                bad = Arrays.copyOf(bad, random.nextInt(bad.length + 1));
            }
            try {
                Frame f = read(bad);
                if (f != null) {
                    PayloadReader r = new PayloadReader(f.payload(), "fuzz");
                    r.u32();
                    r.str();
                    r.strs();
                    r.end();
                }
            } catch (AgentProtocolException | EOFException expected) {
                // typed rejection
            } catch (Exception e) {
                throw new AssertionError("unexpected " + e, e);
            }
        }
    }

    @Test
    void payloadReaderRejectsLiesAboutLengths() {
        byte[] lyingCount = new PayloadWriter().u32(1_000_000_000).toBytes();
        assertThatThrownBy(() -> new PayloadReader(lyingCount, "t").strs()).isInstanceOf(AgentProtocolException.class);
        byte[] lyingBytes = new PayloadWriter().u32(0xFFFF_FFF0L).u8(1).toBytes();
        assertThatThrownBy(() -> new PayloadReader(lyingBytes, "t").bytes()).isInstanceOf(AgentProtocolException.class);
        byte[] trailing = new PayloadWriter().u32(1).u8(0).toBytes();
        PayloadReader r = new PayloadReader(trailing, "t");
        r.u32();
        assertThatThrownBy(r::end).isInstanceOf(AgentProtocolException.class).hasMessageContaining("trailing");
        assertThat(new PayloadReader(new PayloadWriter().u64(-2L).toBytes(), "t").u64()).isEqualTo(-2L);
    }
}
