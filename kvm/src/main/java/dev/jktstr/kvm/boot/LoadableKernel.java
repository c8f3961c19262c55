package dev.jktstr.kvm.boot;

import dev.jktstr.bindings.bootparam.BootparamH;
import dev.jktstr.bindings.elf.Elf64Ehdr;
import dev.jktstr.bindings.elf.Elf64Phdr;
import dev.jktstr.bindings.elf.ElfH;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Linux kernel as this VMM can load it: a bzImage (64-bit boot protocol, setup header read from the
 * image) or an ELF vmlinux (PT_LOAD segments at their physical addresses, direct 64-bit entry).
 * Parsing checks every offset against the file: malformed input gives a {@link KernelLoadException}.
 */
public sealed interface LoadableKernel permits LoadableKernel.BzImage, LoadableKernel.Elf {

    /** Offset of {@code struct setup_header} in a bzImage (and in boot_params). */
    int SETUP_HEADER_OFFSET = 0x1F1;
    int HDRS_MAGIC = 0x5372_6448; // "HdrS"
    /** The 64-bit boot protocol needs 2.12 (xloadflags). */
    int MIN_PROTOCOL = 0x20C;

    /** Bytes of guest memory from the load address the kernel needs while booting. */
    long footprint();

    /**
     * @param setupHeader the image's setup header bytes (copied into boot_params.hdr)
     * @param payload the protected-mode kernel, loaded at {@code loadAddress}; entry at + 0x200
     */
    record BzImage(Path path, int protocol, String version, byte[] setupHeader, byte[] payload, long prefAddress,
                   long initSize, long initrdAddrMax, long cmdlineSize, boolean relocatable) implements LoadableKernel {
        @Override
        public long footprint() {
            return Math.max(initSize, payload.length);
        }
    }

    /** One PT_LOAD segment: {@code memSize} bytes at {@code physAddress}, the first {@code data.length} from the file. */
    record Segment(long physAddress, byte[] data, long memSize) {}

    /**
     * @param setupHeader the setup header of the bzImage this vmlinux was built with, copied into boot_params.hdr (the
     *                    protocol version and flags a kernel reads there); empty for a bare ELF
     */
    record Elf(Path path, long entry, List<Segment> segments, byte[] setupHeader) implements LoadableKernel {
        @Override
        public long footprint() {
            long lo = segments.stream().mapToLong(Segment::physAddress).min().orElse(0);
            long hi = segments.stream().mapToLong(s -> s.physAddress() + s.memSize()).max().orElse(0);
            return hi - lo;
        }

        public long lowestAddress() {
            return segments.stream().mapToLong(Segment::physAddress).min().orElse(0);
        }

        public long highestAddress() {
            return segments.stream().mapToLong(s -> s.physAddress() + s.memSize()).max().orElse(0);
        }
    }

    /** Reads and validates {@code path}. */
    static LoadableKernel read(Path path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new KernelLoadException("cannot read kernel " + path + ": " + e.getMessage(), e);
        }
        return parse(path, bytes);
    }

    static LoadableKernel parse(Path path, byte[] bytes) {
        if (bytes.length >= 4 && bytes[0] == 0x7F && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F') {
            return parseElf(path, bytes);
        }
        if (bytes.length >= 0x206 && le32(bytes, 0x202) == HDRS_MAGIC) {
            return parseBzImage(path, bytes);
        }
        throw new KernelLoadException(path + " is not a Linux kernel: neither a bzImage (no 'HdrS' boot header at 0x202) nor an"
                + " ELF vmlinux (no ELF magic); pass arch/x86/boot/bzImage or vmlinux from a kernel build");
    }

    private static LoadableKernel parseBzImage(Path path, byte[] b) {
        int protocol = le16(b, 0x206);
        if (protocol < MIN_PROTOCOL) {
            throw new KernelLoadException(String.format("%s uses boot protocol %d.%02d; this VMM needs 2.12 or newer (Linux 3.8+)",
                    path, protocol >> 8, protocol & 0xFF));
        }
        if (le16(b, 0x1FE) != 0xAA55) {
            throw new KernelLoadException(path + " has a 'HdrS' header but no 0xAA55 boot flag at 0x1FE: a damaged bzImage");
        }
        int xloadflags = le16(b, 0x236);
        if ((xloadflags & BootparamH.XLF_KERNEL_64) == 0) {
            throw new KernelLoadException(path + " is a 32-bit kernel (XLF_KERNEL_64 not set); build it for x86_64");
        }
        int setupSects = b[0x1F1] & 0xFF;
        if (setupSects == 0) {
            setupSects = 4;
        }
        long payloadOffset = (setupSects + 1L) * 512;
        long syssize = le32(b, 0x1F4) & 0xFFFF_FFFFL;
        long payloadLength = syssize * 16;
        if (payloadOffset + payloadLength > b.length || payloadLength == 0) {
            throw new KernelLoadException(String.format("%s is truncated: its setup header says %d bytes of kernel at offset %d,"
                    + " the file has %d bytes; copy the image again", path, payloadLength, payloadOffset, b.length));
        }
        int headerEnd = 0x202 + (b[0x201] & 0xFF);
        byte[] header = java.util.Arrays.copyOfRange(b, SETUP_HEADER_OFFSET, Math.min(headerEnd, b.length));
        int versionOffset = le16(b, 0x20E);
        String version = "";
        if (versionOffset != 0 && versionOffset + 0x200 < b.length) {
            int start = versionOffset + 0x200;
            int end = start;
            while (end < b.length && end - start < 256 && b[end] != 0) {
                end++;
            }
            version = new String(b, start, end - start, java.nio.charset.StandardCharsets.US_ASCII);
        }
        byte[] payload = java.util.Arrays.copyOfRange(b, (int) payloadOffset, (int) (payloadOffset + payloadLength));
        return new BzImage(path, protocol, version, header, payload, le64(b, 0x258), le32(b, 0x260) & 0xFFFF_FFFFL,
                le32(b, 0x22C) & 0xFFFF_FFFFL, le32(b, 0x238) & 0xFFFF_FFFFL, b[0x234] != 0);
    }

    private static LoadableKernel parseElf(Path path, byte[] b) {
        // The generated accessors use aligned layouts: read headers from native (8-aligned) copies.
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            return parseElf(path, b, arena);
        }
    }

    private static LoadableKernel parseElf(Path path, byte[] b, java.lang.foreign.Arena arena) {
        MemorySegment s = MemorySegment.ofArray(b);
        if (b.length < Elf64Ehdr.LAYOUT.byteSize() || b[ElfH.EI_CLASS] != ElfH.ELFCLASS64 || b[ElfH.EI_DATA] != ElfH.ELFDATA2LSB) {
            throw new KernelLoadException(path + " is an ELF file but not a 64-bit little-endian one; pass an x86_64 vmlinux");
        }
        MemorySegment eh = arena.allocate(Elf64Ehdr.LAYOUT).copyFrom(s.asSlice(0, Elf64Ehdr.LAYOUT.byteSize()));
        if ((Elf64Ehdr.e_machine(eh) & 0xFFFF) != ElfH.EM_X86_64 || (Elf64Ehdr.e_type(eh) & 0xFFFF) != ElfH.ET_EXEC) {
            throw new KernelLoadException(path + " is not an x86_64 executable ELF (e_machine " + Elf64Ehdr.e_machine(eh)
                    + ", e_type " + Elf64Ehdr.e_type(eh) + "); pass a vmlinux");
        }
        long phoff = Elf64Ehdr.e_phoff(eh);
        int phnum = Elf64Ehdr.e_phnum(eh) & 0xFFFF;
        long phentsize = Elf64Ehdr.e_phentsize(eh) & 0xFFFF;
        if (phnum == 0 || phentsize < Elf64Phdr.LAYOUT.byteSize() || phoff < 0 || phoff + phnum * phentsize > b.length) {
            throw new KernelLoadException(path + " has no readable program headers (truncated ELF?)");
        }
        long entry = Elf64Ehdr.e_entry(eh);
        long physEntry = -1;
        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            MemorySegment ph = arena.allocate(Elf64Phdr.LAYOUT).copyFrom(s.asSlice(phoff + i * phentsize, Elf64Phdr.LAYOUT.byteSize()));
            if (Elf64Phdr.p_type(ph) != ElfH.PT_LOAD) {
                continue;
            }
            long off = Elf64Phdr.p_offset(ph);
            long filesz = Elf64Phdr.p_filesz(ph);
            long memsz = Elf64Phdr.p_memsz(ph);
            long paddr = Elf64Phdr.p_paddr(ph);
            long vaddr = Elf64Phdr.p_vaddr(ph);
            if (off < 0 || filesz < 0 || filesz > memsz || off + filesz > b.length || paddr < 0 || memsz > 1L << 32) {
                throw new KernelLoadException(String.format("%s: PT_LOAD segment %d (offset %d, %d bytes) lies outside the"
                        + " %d-byte file: a truncated or damaged vmlinux", path, i, off, filesz, b.length));
            }
            segments.add(new Segment(paddr, java.util.Arrays.copyOfRange(b, (int) off, (int) (off + filesz)), memsz));
            if (Long.compareUnsigned(entry - vaddr, memsz) < 0) {
                physEntry = paddr + (entry - vaddr);
            } else if (Long.compareUnsigned(entry - paddr, memsz) < 0) {
                physEntry = entry;
            }
        }
        if (segments.isEmpty() || physEntry < 0) {
            throw new KernelLoadException(path + ": the entry point 0x" + Long.toHexString(entry)
                    + " lies in no PT_LOAD segment; not a bootable vmlinux");
        }
        return new Elf(path, physEntry, List.copyOf(segments), new byte[0]);
    }

    /**
     * The uncompressed kernel of {@code bz}: the {@code vmlinux} beside it when that file is the same build (its
     * banner holds the bzImage's release, builder and build version), loaded from its ELF segments with the
     * bzImage's setup header. Booting it skips the guest's decompression and the decompressor's physical KASLR: the
     * kernel runs at its link address. Empty when there is no such file or it is another build.
     */
    static java.util.Optional<Elf> companionVmlinux(BzImage bz) {
        Path dir = bz.path().toAbsolutePath().getParent();
        Path vmlinux = dir == null ? null : dir.resolve("vmlinux");
        if (vmlinux == null || !Files.isRegularFile(vmlinux)) {
            return java.util.Optional.empty();
        }
        byte[] b;
        try {
            b = Files.readAllBytes(vmlinux);
        } catch (IOException | OutOfMemoryError e) {
            return java.util.Optional.empty();
        }
        if (!sameBuild(bz.version(), b)) {
            return java.util.Optional.empty();
        }
        try {
            LoadableKernel k = parse(vmlinux, b);
            return k instanceof Elf e ? java.util.Optional.of(new Elf(e.path(), e.entry(), e.segments(), bz.setupHeader()))
                    : java.util.Optional.empty();
        } catch (KernelLoadException e) {
            return java.util.Optional.empty();
        }
    }

    /**
     * Whether {@code vmlinux} is the build a bzImage's version string names: {@code "6.12.117 (root@vm) #1 SMP
     * PREEMPT_DYNAMIC Fri Nov 27 ..."} is the release and builder, then the build number and time; the vmlinux's
     * linux_banner has both, with the compiler between them.
     */
    static boolean sameBuild(String bzVersion, byte[] vmlinux) {
        int split = bzVersion.indexOf(") ");
        if (split < 0 || split + 2 >= bzVersion.length()) {
            return false;
        }
        String releaseAndBuilder = "Linux version " + bzVersion.substring(0, split + 1);
        String buildVersion = bzVersion.substring(split + 2);
        // Latin-1: one char per byte, and String.indexOf is the JDK's vectorised search
        String text = new String(vmlinux, java.nio.charset.StandardCharsets.ISO_8859_1);
        int banner = text.indexOf(releaseAndBuilder);
        while (banner >= 0) {
            int lineEnd = text.indexOf('\n', banner);
            if (lineEnd > banner && lineEnd - banner < 512 && text.substring(banner, lineEnd).endsWith(") " + buildVersion)) {
                return true;
            }
            banner = text.indexOf(releaseAndBuilder, banner + 1);
        }
        return false;
    }

    private static int le16(byte[] b, int at) {
        return b.length < at + 2 ? 0 : MemorySegment.ofArray(b).get(ValueLayout.JAVA_SHORT_UNALIGNED, at) & 0xFFFF;
    }

    private static int le32(byte[] b, int at) {
        return b.length < at + 4 ? 0 : MemorySegment.ofArray(b).get(ValueLayout.JAVA_INT_UNALIGNED, at);
    }

    private static long le64(byte[] b, int at) {
        return b.length < at + 8 ? 0 : MemorySegment.ofArray(b).get(ValueLayout.JAVA_LONG_UNALIGNED, at);
    }
}
