package dev.jktstr.btf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Parsing, decoding and queries on synthetic BTF with every kind. */
class BtfTest {
    private final Btf btf = Btf.fromBytes(BtfBuilder.allKinds().build());

    @Test
    void decodesEveryKind() {
        assertThat(btf.typeCount()).isEqualTo(37);
        for (int id = 1; id < btf.typeCount(); id++) {
            BtfType t = btf.type(id);
            assertThat(t.id()).isEqualTo(id);
            assertThat(t.kind()).isEqualTo(btf.kind(id));
        }
        assertThat(Arrays.stream(BtfKind.values()).filter(k -> {
            for (int id = 1; id < btf.typeCount(); id++) {
                if (btf.kind(id) == k) {
                    return true;
                }
            }
            return false;
        })).hasSize(19);
        BtfType.Composite item = (BtfType.Composite) btf.type(btf.require("item", BtfKind.STRUCT));
        assertThat(item.members()).extracting(BtfType.Member::name).startsWith("id", "flag", "mode", "st", "");
        assertThat(item.members().get(2)).isEqualTo(new BtfType.Member("mode", 2, 33, 3));
        BtfType.Enum sgn = (BtfType.Enum) btf.type(btf.require("sgn", BtfKind.ENUM));
        assertThat(sgn.values().get(0).value()).isEqualTo(-4);
        BtfType.Enum wide = (BtfType.Enum) btf.type(btf.require("wide", BtfKind.ENUM64));
        assertThat(wide.values().get(0).value()).isEqualTo(-1L);
        BtfType.DeclTag tag = (BtfType.DeclTag) btf.type(30);
        assertThat(tag.componentIndex()).isEqualTo(6);
        assertThat(btf.type(20)).isEqualTo(new BtfType.Ref(20, BtfKind.TYPE_TAG, "user", 1, false));
    }

    @Test
    void findsByNameAndKind() {
        assertThat(btf.find("item")).hasValue(25);
        assertThat(btf.find("item", BtfKind.TYPEDEF)).isEmpty();
        assertThat(btf.find("item_t", BtfKind.TYPEDEF)).hasValue(31);
        assertThat(btf.findAll("int")).containsExactly(1);
        assertThat(btf.find("no_such_type")).isEmpty();
        assertThatThrownBy(() -> btf.require("nope", BtfKind.STRUCT)).isInstanceOf(BtfLookupException.class)
                .hasMessageContaining("nope");
    }

    @Test
    void resolvesChainsSizesAndAlignment() {
        int cv = btf.fieldPath("item.cv").typeId();
        assertThat(btf.kind(cv)).isEqualTo(BtfKind.VOLATILE);
        assertThat(btf.resolve(cv)).isEqualTo(1);
        assertThat(btf.resolve(31)).isEqualTo(25);
        assertThat(btf.sizeOf(31)).isEqualTo(112);
        assertThat(btf.sizeOf(btf.require("inner", BtfKind.STRUCT))).isEqualTo(8);
        assertThat(btf.sizeOf(24)).isEqualTo(24);
        assertThat(btf.alignOf(25)).isEqualTo(8);
        assertThat(btf.alignOf(btf.require("packed_s", BtfKind.STRUCT))).isEqualTo(1);
        assertThat(btf.pointerSize()).isEqualTo(8);
        assertThatThrownBy(() -> btf.sizeOf(8)).isInstanceOf(BtfLookupException.class); // FWD
    }

    @Test
    void fieldPathsThroughAnonymousMembersArraysAndBitfields() {
        BtfField f = btf.fieldPath("item.as_int");
        assertThat(f.byteOffset()).isEqualTo(16);
        assertThat(f.typeName()).isEqualTo("int");
        BtfField w = btf.fieldPath("item", "ins[2].weight");
        assertThat(w.byteOffset()).isEqualTo(56 + 2 * 8 + 4);
        assertThat(w.size()).isEqualTo(4);
        BtfField mode = btf.fieldPath("item.mode");
        assertThat(mode.isBitfield()).isTrue();
        assertThat(mode.byteOffset()).isEqualTo(4);
        assertThat(mode.bitInByte()).isEqualTo(1);
        assertThat(mode.describe()).isEqualTo("offset=4 size=4 bit=1 bits=3 type=unsigned int");
        assertThat(btf.fieldPath("item[2].id").byteOffset()).isEqualTo(224);
        assertThat(btf.fieldPath("item_t.name[3]").describe()).isEqualTo("offset=27 size=1 type=char");
        assertThat(btf.fieldPath("item.cb").typeName()).isEqualTo("int (*)(int a, char * restrict s)");
        assertThat(btf.fieldPath("item.owner").typeName()).isEqualTo("struct task_struct *");
        assertThat(btf.fieldPath("item.in").typeName()).isEqualTo("struct inner");
        assertThat(btf.declaration(btf.fieldPath("item.cb").typeId(), "cb")).isEqualTo("int (*cb)(int a, char * restrict s)");
        assertThatThrownBy(() -> btf.fieldPath("item.nope")).isInstanceOf(BtfLookupException.class)
                .hasMessageContaining("no member 'nope'");
        assertThatThrownBy(() -> btf.fieldPath("item.ins[3]")).isInstanceOf(BtfLookupException.class)
                .hasMessageContaining("out of bounds");
        assertThatThrownBy(() -> btf.fieldPath("item.id.x")).isInstanceOf(BtfLookupException.class);
        assertThatThrownBy(() -> btf.fieldPath("item.name[")).isInstanceOf(BtfLookupException.class);
    }

    @Test
    void honoursLongerHeaders() {
        BtfBuilder b = BtfBuilder.allKinds().headerLength(32);
        Btf longer = Btf.fromBytes(b.build());
        assertThat(longer.typeCount()).isEqualTo(btf.typeCount());
        assertThat(longer.dumpRaw()).isEqualTo(btf.dumpRaw());
    }

    @Test
    void rejectsUnknownKindsVersionsAndBadHeaders() {
        BtfBuilder b = new BtfBuilder();
        b.integer("int", 4, 1, 32);
        b.rawKind(20);
        assertThatThrownBy(() -> Btf.fromBytes(b.build())).isInstanceOf(BtfFormatException.class)
                .hasMessageContaining("unknown BTF kind 20 at type id 2");
        assertThatThrownBy(() -> Btf.fromBytes(BtfBuilder.allKinds().version(2).build()))
                .isInstanceOf(BtfFormatException.class).hasMessageContaining("unsupported BTF version 2");
        byte[] good = BtfBuilder.allKinds().build();
        byte[] badMagic = good.clone();
        badMagic[0] = 0;
        assertThatThrownBy(() -> Btf.fromBytes(badMagic)).isInstanceOf(BtfFormatException.class)
                .hasMessageContaining("magic");
        byte[] shortType = good.clone();
        ByteBuffer.wrap(shortType).order(ByteOrder.LITTLE_ENDIAN).putInt(12, 13); // type_len 13
        assertThatThrownBy(() -> Btf.fromBytes(shortType)).isInstanceOf(BtfFormatException.class);
        assertThatThrownBy(() -> Btf.fromBytes(Arrays.copyOf(good, good.length - 5)))
                .isInstanceOf(BtfFormatException.class).hasMessageContaining("exceed");
        assertThatThrownBy(() -> Btf.fromBytes(new byte[10])).isInstanceOf(BtfFormatException.class);
    }

    @Test
    void bigEndianBtfReads() {
        byte[] le = BtfBuilder.allKinds().build();
        byte[] be = toBigEndian(le);
        Btf b = Btf.fromBytes(be);
        assertThat(b.dumpRaw()).isEqualTo(btf.dumpRaw());
    }

    /** Byte-swaps every 32-bit word of header and type section (all BTF type fields are u32). */
    private static byte[] toBigEndian(byte[] le) {
        ByteBuffer in = ByteBuffer.wrap(le).order(ByteOrder.LITTLE_ENDIAN);
        byte[] out = le.clone();
        ByteBuffer o = ByteBuffer.wrap(out).order(ByteOrder.BIG_ENDIAN);
        o.putShort(0, in.getShort(0));
        o.putInt(4, in.getInt(4));
        int hdr = in.getInt(4);
        for (int f = 8; f < 24; f += 4) {
            o.putInt(f, in.getInt(f));
        }
        int typeLen = in.getInt(12);
        for (int p = hdr; p < hdr + typeLen; p += 4) {
            o.putInt(p, in.getInt(p));
        }
        return out;
    }
}
