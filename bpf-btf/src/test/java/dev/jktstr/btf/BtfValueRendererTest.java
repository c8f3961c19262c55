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

    /** Values whose two spellings differ most: bools, 128-bit ints, NaN, escapes, unnamed members, opaque kinds. */
    @Test
    void rendersOddValuesBothWays() {
        BtfBuilder b = new BtfBuilder();
        int intT = b.integer("int", 4, 1, 32);
        int uint = b.integer("unsigned int", 4, 0, 32);
        int chr = b.integer("char", 1, 2, 8);
        int boolT = b.integer("_Bool", 1, 4, 8);
        int i128 = b.integer("__int128", 16, 1, 128);
        int flt = b.floating("float", 4);
        int dbl = b.floating("double", 8);
        int name = b.array(chr, intT, 8);
        int pair = b.array(intT, intT, 2);
        int task = b.fwd("task_struct", false);
        int state = b.enumeration("state", 4, false, new Object[] {"S_IDLE", 0});
        int odd = b.struct("odd", 64, false,
                new Object[] {"ok", boolT, 0},
                new Object[] {"odd", boolT, 8},
                new Object[] {"", uint, 16, 4},
                new Object[] {"big", i128, 64},
                new Object[] {"nan", flt, 192},
                new Object[] {"inf", dbl, 256},
                new Object[] {"name", name, 320},
                new Object[] {"task", task, 384},
                new Object[] {"pair", pair, 416},
                new Object[] {"st", state, 480});
        Btf oddBtf = Btf.fromBytes(b.build());
        ByteBuffer v = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        v.put(0, (byte) 1).put(1, (byte) 2).put(2, (byte) 0xf5);
        v.putLong(8, 1).putLong(16, 2);
        v.putFloat(24, Float.NaN).putDouble(32, Double.NEGATIVE_INFINITY);
        v.put(40, new byte[] {'a', '"', '\\', 1, (byte) 0xe9, 'z', 0, 'x'});
        v.putInt(52, 3).putInt(56, -3).putInt(60, 7);
        MemorySegment data = MemorySegment.ofArray(v.array());

        assertThat(oddBtf.renderer().render(odd, data)).isEqualTo("""
                {
                    .ok = true,
                    .odd = 2,
                    5,
                    .big = 0x20000000000000001,
                    .nan = NaN,
                    .inf = -Infinity,
                    .name = "a\\"\\\\\\x01\\xe9z",
                    .task = <FWD 'task_struct'>,
                    .pair = [3, -3],
                    .st = 7,
                }""");
        assertThat(oddBtf.renderer().renderJson(odd, data)).isEqualTo("{\"ok\":true,\"odd\":2,\"(anon)\":5,"
                + "\"big\":\"0x20000000000000001\",\"nan\":\"NaN\",\"inf\":\"-Infinity\","
                + "\"name\":\"a\\\"\\\\\\u0001\u00e9z\",\"task\":null,\"pair\":[3,-3],\"st\":7}");
    }

    @Test
    void shortDataAndHugeValuesEndInTypedExceptions() {
        assertThatThrownBy(() -> btf.renderer().render(25, MemorySegment.ofArray(new byte[50])))
                .isInstanceOf(BtfException.class).hasMessageContaining("needs");
        assertThatThrownBy(() -> btf.renderer().withMaxValues(5).render(25, MemorySegment.ofArray(item())))
                .isInstanceOf(BtfException.class).hasMessageContaining("too large");
    }
}
