package dev.jktstr.btf.elf;

/** One section header ({@code Elf64_Shdr}) with its name resolved. */
public record ElfSection(int index, String name, int type, long flags, long address, long offset, long size,
        int link, int info, long addressAlign, long entrySize) {
    public static final int SHT_NULL = 0, SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_NOTE = 7,
            SHT_NOBITS = 8, SHT_DYNSYM = 11;
    public static final long SHF_ALLOC = 2;
}
