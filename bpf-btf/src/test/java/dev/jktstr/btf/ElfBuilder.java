package dev.jktstr.btf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** A small ELF64 x86-64 file with .text, .BTF, a note, .symtab/.strtab and program headers. */
public final class ElfBuilder {
    private ElfBuilder() {}

    /** Little-endian, as x86-64 has it. */
    public static byte[] small(byte[] btf) {
        return small(btf, ByteOrder.LITTLE_ENDIAN);
    }

    /** In byte order {@code order} (ELFDATA2MSB when big-endian); {@code btf} is copied as it is. */
    public static byte[] small(byte[] btf, ByteOrder order) {
        byte[] text = new byte[64];
        for (int i = 0; i < text.length; i++) {
            text[i] = (byte) 0xc3;
        }
        ByteBuffer note = ByteBuffer.allocate(24).order(order);
        note.putInt(6).putInt(4).putInt(0x13).put("Linux\0\0\0".getBytes(StandardCharsets.US_ASCII)).putInt(0x1234);
        ByteArrayOutputStream strtab = new ByteArrayOutputStream();
        strtab.write(0);
        int nMain = strtab.size();
        strtab.writeBytes("main\0".getBytes(StandardCharsets.US_ASCII));
        int nData = strtab.size();
        strtab.writeBytes("global_item\0".getBytes(StandardCharsets.US_ASCII));
        int nLocal = strtab.size();
        strtab.writeBytes("helper\0".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer symtab = ByteBuffer.allocate(24 * 4).order(order);
        symtab.position(24);
        symtab.putInt(nLocal).put((byte) 0x02).put((byte) 0).putShort((short) 1).putLong(0x401010).putLong(16);
        symtab.putInt(nMain).put((byte) 0x12).put((byte) 0).putShort((short) 1).putLong(0x401000).putLong(16);
        symtab.putInt(nData).put((byte) 0x11).put((byte) 0).putShort((short) 2).putLong(0x402000).putLong(112);
        String[] names = {"", ".text", ".BTF", ".note.test", ".symtab", ".strtab", ".shstrtab"};
        ByteArrayOutputStream shstr = new ByteArrayOutputStream();
        int[] nameOff = new int[names.length];
        for (int i = 0; i < names.length; i++) {
            nameOff[i] = shstr.size();
            shstr.writeBytes((names[i] + "\0").getBytes(StandardCharsets.US_ASCII));
        }
        byte[][] bodies = {new byte[0], text, btf, note.array(), symtab.array(), strtab.toByteArray(), shstr.toByteArray()};
        int[] types = {0, 1, 1, 7, 2, 3, 3};
        int phoff = 64;
        int phnum = 2;
        long off = phoff + 56L * phnum;
        long[] offs = new long[names.length];
        for (int i = 1; i < names.length; i++) {
            off = (off + 7) & ~7L;
            offs[i] = off;
            off += bodies[i].length;
        }
        long shoff = (off + 7) & ~7L;
        ByteBuffer b = ByteBuffer.allocate((int) (shoff + 64L * names.length)).order(order);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, (byte) (order == ByteOrder.BIG_ENDIAN ? 2 : 1), 1, 0});
        b.putShort(16, (short) 2).putShort(18, (short) 62).putInt(20, 1).putLong(24, 0x401000).putLong(32, phoff)
                .putLong(40, shoff).putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) phnum)
                .putShort(58, (short) 64).putShort(60, (short) names.length).putShort(62, (short) 6);
        b.position(phoff);
        b.putInt(1).putInt(5).putLong(offs[1]).putLong(0x401000).putLong(0x401000).putLong(text.length)
                .putLong(text.length).putLong(0x1000);
        b.putInt(4).putInt(4).putLong(offs[3]).putLong(0).putLong(0).putLong(bodies[3].length)
                .putLong(bodies[3].length).putLong(4);
        for (int i = 1; i < names.length; i++) {
            b.position((int) offs[i]);
            b.put(bodies[i]);
        }
        for (int i = 0; i < names.length; i++) {
            b.position((int) (shoff + 64L * i));
            b.putInt(nameOff[i]).putInt(types[i]).putLong(i == 1 ? 6 : 0).putLong(i == 1 ? 0x401000 : 0)
                    .putLong(offs[i]).putLong(bodies[i].length).putInt(i == 4 ? 5 : 0).putInt(i == 4 ? 1 : 0)
                    .putLong(i == 0 ? 0 : 1).putLong(i == 4 ? 24 : 0);
        }
        return b.array();
    }
}
