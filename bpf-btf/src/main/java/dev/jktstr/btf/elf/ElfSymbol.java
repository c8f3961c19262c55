package dev.jktstr.btf.elf;

/** One symbol ({@code Elf64_Sym}) with its name resolved. */
public record ElfSymbol(String name, long value, long size, int info, int other, int sectionIndex) {
    public static final int STB_LOCAL = 0, STB_GLOBAL = 1, STB_WEAK = 2;
    public static final int STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2, STT_SECTION = 3, STT_FILE = 4;
    public static final int SHN_UNDEF = 0, SHN_ABS = 0xfff1;

    public int bind() {
        return info >>> 4;
    }

    public int type() {
        return info & 0xf;
    }
}
