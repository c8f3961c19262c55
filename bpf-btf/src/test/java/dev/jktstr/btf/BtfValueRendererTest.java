package dev.jktstr.btf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class BtfValueRendererTest {
    private final Btf btf = Btf.fromBytes(BtfBuilder.allKinds().build());

    private static byte[] item() {
        ByteBuffer b = ByteBuffer.allocate(112).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, -7);                        // id
        b.putInt(4, 1 | (5 << 1));              // flag=1, mode=5
        b.putInt(8, 1);                         // st = S_RUN
        b.putLong(16, 0x1_0000_0002L);          // union: as_u64, as_int
        b.put(24, "swapper/0".getBytes());      // name
        b.putLong(40, 0xffff888003c0e010L);     // owner
        b.putInt(48, 3).putInt(52, -1);         // in
        for (int i = 0; i < 3; i++) {
            b.putInt(56 + 8 * i, i).putInt(60 + 8 * i, 10 * i);
        }
        b.putDouble(80, 0.5);                   // ratio
        b.putLong(88, 0xffffffff81000000L);     // cb
        b.putInt(96, 42);                       // cv
        b.putLong(104, 0);                      // up
        return b.array();
    }

    @Test
    void rendersTextWithNamesStringsBitfieldsAndPointers() {
        String text = btf.renderer().render(25, MemorySegment.ofArray(item()));
        assertThat(text).isEqualTo("""
                {
                    .id = -7,
                    .flag = 1,
                    .mode = 5,
                    .st = S_RUN,
                    {
                        .as_u64 = 4294967298,
                        .as_int = 2,
                    },
                    .name = "swapper/0",
                    .owner = 0xffff888003c0e010,
                    .in = {
                        .nr = 3,
                        .weight = -1,
                    },
                    .ins = [{
                        .nr = 0,
                        .weight = 0,
                    }, {
                        .nr = 1,
                        .weight = 10,
                    }, {
                        .nr = 2,
                        .weight = 20,
                    }],
                    .ratio = 0.5,
                    .cb = 0xffffffff81000000,
                    .cv = 42,
                    .up = 0x0,
                }""");
    }

    @Test
    void rendersJsonWithAnonymousMembersInPlace() {
        String json = btf.renderer().renderJson(31, MemorySegment.ofArray(item()));
        assertThat(json).isEqualTo("{\"id\":-7,\"flag\":1,\"mode\":5,\"st\":\"S_RUN\",\"as_u64\":4294967298,"
                + "\"as_int\":2,\"name\":\"swapper/0\",\"owner\":\"0xffff888003c0e010\",\"in\":{\"nr\":3,\"weight\":-1},"
                + "\"ins\":[{\"nr\":0,\"weight\":0},{\"nr\":1,\"weight\":10},{\"nr\":2,\"weight\":20}],\"ratio\":0.5,"
                + "\"cb\":\"0xffffffff81000000\",\"cv\":42,\"up\":\"0x0\"}");
    }

    @Test
    void unknownEnumValuesFallBackToNumbers() {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 99).putLong(8, 1);
        assertThat(btf.renderer().renderJson(32, MemorySegment.ofArray(b.array())))
                .isEqualTo("{\"a\":99,\"b\":\"W_ONE\"}");
        b.putInt(0, -4);
        assertThat(btf.renderer().render(32, MemorySegment.ofArray(b.array()))).contains(".a = NEG,");
    }

    @Test
    void shortDataAndHugeValuesEndInTypedExceptions() {
        assertThatThrownBy(() -> btf.renderer().render(25, MemorySegment.ofArray(new byte[50])))
                .isInstanceOf(BtfException.class).hasMessageContaining("needs");
        assertThatThrownBy(() -> btf.renderer().withMaxValues(5).render(25, MemorySegment.ofArray(item())))
                .isInstanceOf(BtfException.class).hasMessageContaining("too large");
    }
}
