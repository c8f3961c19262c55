package dev.jktstr.btf.elf;

import java.util.HexFormat;

/** One note ({@code Elf64_Nhdr} with name and descriptor), e.g. the kernel's {@code Linux}/{@code Xen} notes. */
public record ElfNote(String name, int type, byte[] descriptor) {
    @Override
    public String toString() {
        return "ElfNote[" + name + ", type=" + type + ", desc=" + HexFormat.of().formatHex(descriptor) + "]";
    }
}
