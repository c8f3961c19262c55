package dev.jktstr.btf.elf;

/** One program header ({@code Elf64_Phdr}). */
public record ElfProgramHeader(int type, int flags, long offset, long virtualAddress, long physicalAddress,
        long fileSize, long memorySize, long align) {
    public static final int PT_NULL = 0, PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_NOTE = 4;
}
