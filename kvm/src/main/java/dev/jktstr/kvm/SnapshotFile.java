package dev.jktstr.kvm;

import dev.jktstr.kvm.x86.ApicIdLayout;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The snapshot file: a header saying which VM it fits, then sections, then an end marker (so a file cut at a section
 * boundary is still seen as truncated). Little-endian throughout.
 *
 * <pre>
 * header   magic "JKTVMSN\0", version, topology (nodes, LLCs per node, cores per LLC, threads per core),
 *          node count + bytes per node, vCPU state parts (bit set of {@link VcpuStatePart}), XSAVE bytes
 * section  kind, a, b, reserved (4 ints), payload length (long), payload
 *          VM      a = {@link VmStatePart} ordinal: the raw struct
 *          VCPU    a = CPU, b = {@link VcpuStatePart} ordinal: the raw struct
 *          DEVICE  a = name length: the name (UTF-8), then the device's {@link StatefulDevice#saveState()}
 *          RAM     a = RAM region: runs of (first page, page count, the pages) — zero pages are left out
 *          END     empty
 * </pre>
 *
 * <p>Reading never trusts the file: every length is checked against what is left of the file and against a cap
 * before anything is allocated, every part against the size its struct has, RAM runs against their region, and
 * every section the shape calls for must be there exactly once.
 */
final class SnapshotFile {

    static final long MAGIC = 0x004e_534d_5654_4b4aL; // "JKTVMSN\0" little-endian
    static final int VERSION = 1;
    static final int PAGE = 4096;
    /** No state section comes near this (the largest is an XSAVE area of a few KiB); RAM sections are streamed. */
    static final int MAX_STATE_SECTION = 1 << 20;
    private static final int MAX_NODES = 64;
    private static final int MAX_NAME = 64;
    private static final int SECTION_HEADER = 24;
    private static final int RUN_HEADER = 16;

    enum Kind { END, VM, VCPU, DEVICE, RAM }

    /** What VM a snapshot fits: restore refuses a file whose shape differs from the VM built for it. */
    record Shape(ApicIdLayout topology, List<Long> memoryPerNode, Set<VcpuStatePart> vcpuParts, int xsaveBytes) {
        Shape {
            memoryPerNode = List.copyOf(memoryPerNode);
            vcpuParts = Set.copyOf(vcpuParts);
        }

        /** What differs from {@code other}, for the refusal; empty when they are the same. */
        String difference(Shape other) {
            List<String> out = new ArrayList<>();
            if (!topology.equals(other.topology)) {
                out.add("topology " + topology + " vs " + other.topology);
            }
            if (!memoryPerNode.equals(other.memoryPerNode)) {
                out.add("memory per node " + memoryPerNode + " vs " + other.memoryPerNode);
            }
            if (!vcpuParts.equals(other.vcpuParts)) {
                out.add("vCPU state " + new java.util.TreeSet<>(vcpuParts) + " vs " + new java.util.TreeSet<>(other.vcpuParts));
            }
            if (xsaveBytes != other.xsaveBytes) {
                out.add("XSAVE area " + xsaveBytes + " vs " + other.xsaveBytes + " bytes");
            }
            return String.join(", ", out);
        }
    }

    /** Where one RAM region's runs lie in the file (already checked). */
    record RamSection(int region, long offset, long length) {}

    /** A checked file: the state sections read, the RAM sections located. */
    record Contents(Shape shape, Map<VmStatePart, byte[]> vm, List<Map<VcpuStatePart, byte[]>> vcpus,
                    Map<String, byte[]> devices, List<RamSection> ram) {}

    private SnapshotFile() {
    }

    /** Writes a snapshot section by section; {@link #close()} ends it. */
    static final class Writer implements AutoCloseable {
        private final FileChannel out;
        private final MemorySegment zeroPage = Arena.ofAuto().allocate(PAGE);

        Writer(Path file, Shape shape) throws IOException {
            out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            ByteBuffer h = buffer(8 + 4 + 16 + 4 + 8 * shape.memoryPerNode().size() + 8);
            ApicIdLayout t = shape.topology();
            h.putLong(MAGIC).putInt(VERSION).putInt(t.numaNodes()).putInt(t.llcsPerNode()).putInt(t.coresPerLlc())
                    .putInt(t.threadsPerCore()).putInt(shape.memoryPerNode().size());
            shape.memoryPerNode().forEach(h::putLong);
            int parts = 0;
            for (VcpuStatePart p : shape.vcpuParts()) {
                parts |= 1 << p.ordinal();
            }
            h.putInt(parts).putInt(shape.xsaveBytes());
            write(h.flip());
        }

        void section(Kind kind, int a, int b, byte[] payload) throws IOException {
            write(sectionHeader(kind, a, b, payload.length));
            write(ByteBuffer.wrap(payload));
        }

        void device(String name, byte[] state) throws IOException {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            byte[] payload = new byte[n.length + state.length];
            System.arraycopy(n, 0, payload, 0, n.length);
            System.arraycopy(state, 0, payload, n.length, state.length);
            section(Kind.DEVICE, n.length, 0, payload);
        }

        /** Region {@code region}'s non-zero pages as runs; the section's length is filled in once they are written. */
        void ram(int region, MemorySegment ram) throws IOException {
            long headerAt = out.position();
            write(sectionHeader(Kind.RAM, region, 0, 0));
            long pages = ram.byteSize() / PAGE;
            long runStart = -1;
            for (long p = 0; p <= pages; p++) {
                boolean nonZero = p < pages && MemorySegment.mismatch(ram, p * PAGE, (p + 1) * PAGE, zeroPage, 0, PAGE) >= 0;
                if (nonZero && runStart < 0) {
                    runStart = p;
                } else if (!nonZero && runStart >= 0) {
                    write(buffer(RUN_HEADER).putLong(runStart).putLong(p - runStart).flip());
                    write(ram.asSlice(runStart * PAGE, (p - runStart) * PAGE).asByteBuffer());
                    runStart = -1;
                }
            }
            long length = out.position() - headerAt - SECTION_HEADER;
            ByteBuffer len = buffer(8).putLong(length).flip();
            while (len.hasRemaining()) {
                out.write(len, headerAt + 16 + len.position());
            }
        }

        /** Writes the end marker and flushes the file to disk. */
        @Override
        public void close() throws IOException {
            try (out) {
                write(sectionHeader(Kind.END, 0, 0, 0));
                out.force(true);
            }
        }

        private void write(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
    }

    private static ByteBuffer sectionHeader(Kind kind, int a, int b, long length) {
        return buffer(SECTION_HEADER).putInt(kind.ordinal()).putInt(a).putInt(b).putInt(0).putLong(length).flip();
    }

    private static ByteBuffer buffer(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Reads and checks {@code file}; {@link SnapshotFileException} says what is wrong with it. */
    static Contents read(Path file) {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            return new Reader(file, in).read();
        } catch (IOException e) {
            throw new SnapshotFileException(file, "cannot read it: " + e, e);
        }
    }

    /** Copies a checked RAM section's runs into {@code ram}, the region's mapping (fresh, so zero elsewhere). */
    static void loadRam(Path file, RamSection section, MemorySegment ram) {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            if (section.length() == 0) {
                return;
            }
            MemorySegment runs = in.map(FileChannel.MapMode.READ_ONLY, section.offset(), section.length(), arena);
            long at = 0;
            while (at < runs.byteSize()) {
                long first = runs.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at);
                long count = runs.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at + 8);
                // Checked by read(); the bounds checks of asSlice and copy still stand guard.
                MemorySegment.copy(runs, at + RUN_HEADER, ram, first * PAGE, count * PAGE);
                at += RUN_HEADER + count * PAGE;
            }
        } catch (IOException e) {
            throw new SnapshotFileException(file, "cannot read its RAM: " + e, e);
        }
    }

    /** One pass over the file, checking as it goes. */
    private static final class Reader {
        private final Path file;
        private final FileChannel in;
        private final long size;
        private long at;

        Reader(Path file, FileChannel in) throws IOException {
            this.file = file;
            this.in = in;
            this.size = in.size();
        }

        Contents read() throws IOException {
            Shape shape = header();
            List<GuestRam.Span> regions = GuestRam.layout(shape.memoryPerNode());
            Map<VmStatePart, byte[]> vm = new EnumMap<>(VmStatePart.class);
            List<Map<VcpuStatePart, byte[]>> vcpus = new ArrayList<>();
            for (int i = 0; i < shape.topology().cpuCount(); i++) {
                vcpus.add(new EnumMap<>(VcpuStatePart.class));
            }
            Map<String, byte[]> devices = new LinkedHashMap<>();
            RamSection[] ram = new RamSection[regions.size()];
            while (true) {
                ByteBuffer h = bytes(SECTION_HEADER, "a section header");
                int kindNumber = h.getInt();
                int a = h.getInt();
                int b = h.getInt();
                h.getInt();
                long length = h.getLong();
                if (kindNumber < 0 || kindNumber >= Kind.values().length) {
                    throw bad("unknown section kind " + kindNumber + " at byte " + (at - SECTION_HEADER));
                }
                Kind kind = Kind.values()[kindNumber];
                if (length < 0 || length > size - at) {
                    throw bad(kind + " section at byte " + (at - SECTION_HEADER) + " says " + length + " bytes but "
                            + (size - at) + " are left: the file is truncated");
                }
                if (kind == Kind.END) {
                    if (at != size) {
                        throw bad((size - at) + " bytes follow the end marker");
                    }
                    break;
                }
                if (kind == Kind.RAM) {
                    if (a < 0 || a >= ram.length || ram[a] != null) {
                        throw bad("RAM section for region " + a + " (the shape has " + ram.length + ", each once)");
                    }
                    ram[a] = ramSection(a, length, regions.get(a).size() / PAGE);
                    continue;
                }
                if (length > MAX_STATE_SECTION) {
                    throw bad(kind + " section of " + length + " bytes (at most " + MAX_STATE_SECTION + ")");
                }
                byte[] payload = bytes((int) length, "a " + kind + " section").array();
                switch (kind) {
                    case VM -> {
                        VmStatePart part = part(VmStatePart.values(), a, "VM state part");
                        if (!part.fits(payload) || vm.put(part, payload) != null) {
                            throw bad("VM state " + part + " of " + payload.length + " bytes (or twice)");
                        }
                    }
                    case VCPU -> {
                        if (a < 0 || a >= vcpus.size()) {
                            throw bad("state for vCPU " + a + " of " + vcpus.size());
                        }
                        VcpuStatePart part = part(VcpuStatePart.values(), b, "vCPU state part");
                        if (!shape.vcpuParts().contains(part) || !part.fits(payload, shape.xsaveBytes())
                                || vcpus.get(a).put(part, payload) != null) {
                            throw bad("vCPU " + a + " state " + part + " of " + payload.length
                                    + " bytes (not in the header's parts, the wrong size, or twice)");
                        }
                    }
                    case DEVICE -> {
                        if (a <= 0 || a > MAX_NAME || a > payload.length) {
                            throw bad("device section with a name of " + a + " bytes");
                        }
                        String name = new String(payload, 0, a, StandardCharsets.UTF_8);
                        if (devices.put(name, java.util.Arrays.copyOfRange(payload, a, payload.length)) != null) {
                            throw bad("device " + name + " twice");
                        }
                    }
                    default -> throw new IllegalStateException(kind.toString());
                }
            }
            if (vm.size() != VmStatePart.values().length) {
                Set<VmStatePart> missing = EnumSet.allOf(VmStatePart.class);
                missing.removeAll(vm.keySet());
                throw bad("VM state " + missing + " missing");
            }
            for (int cpu = 0; cpu < vcpus.size(); cpu++) {
                if (!vcpus.get(cpu).keySet().equals(shape.vcpuParts())) {
                    throw bad("vCPU " + cpu + " has state " + vcpus.get(cpu).keySet() + ", the header says " + shape.vcpuParts());
                }
            }
            for (int r = 0; r < ram.length; r++) {
                if (ram[r] == null) {
                    throw bad("no RAM section for region " + r);
                }
            }
            return new Contents(shape, vm, vcpus, devices, List.of(ram));
        }

        private Shape header() throws IOException {
            ByteBuffer h = bytes(8 + 4, "the header");
            if (h.getLong() != MAGIC) {
                throw bad("not a jktstr VM snapshot (no JKTVMSN magic)");
            }
            int version = h.getInt();
            if (version != VERSION) {
                throw bad("format version " + version + "; this jktstr reads version " + VERSION);
            }
            h = bytes(16 + 4, "the header");
            int nodes = h.getInt();
            int llcs = h.getInt();
            int cores = h.getInt();
            int threads = h.getInt();
            ApicIdLayout topology;
            try {
                topology = ApicIdLayout.of(nodes, llcs, cores, threads);
            } catch (RuntimeException e) {
                throw bad("its topology " + nodes + "," + llcs + "," + cores + "," + threads + " is not one: " + e.getMessage());
            }
            int memoryNodes = h.getInt();
            if (memoryNodes <= 0 || memoryNodes > MAX_NODES) {
                throw bad("its memory has " + memoryNodes + " nodes");
            }
            h = bytes(8 * memoryNodes + 8, "the header");
            List<Long> memory = new ArrayList<>();
            for (int n = 0; n < memoryNodes; n++) {
                long bytes = h.getLong();
                if (bytes <= 0 || bytes % PAGE != 0) {
                    throw bad("node " + n + " has " + bytes + " bytes of RAM");
                }
                memory.add(bytes);
            }
            int partBits = h.getInt();
            Set<VcpuStatePart> parts = EnumSet.noneOf(VcpuStatePart.class);
            for (VcpuStatePart p : VcpuStatePart.values()) {
                if ((partBits & 1 << p.ordinal()) != 0) {
                    parts.add(p);
                }
            }
            int xsave = h.getInt();
            if (xsave < 0 || xsave > MAX_STATE_SECTION) {
                throw bad("XSAVE area of " + xsave + " bytes");
            }
            return new Shape(topology, memory, parts, xsave);
        }

        /** Checks one RAM section's runs (ascending, within the region, whole pages) without reading the pages. */
        private RamSection ramSection(int region, long length, long regionPages) throws IOException {
            long start = at;
            long end = at + length;
            long nextFree = 0;
            while (at < end) {
                if (end - at < RUN_HEADER) {
                    throw bad("RAM region " + region + " ends inside a run header");
                }
                ByteBuffer r = bytes(RUN_HEADER, "a RAM run");
                long first = r.getLong();
                long count = r.getLong();
                if (first < nextFree || count <= 0 || count > regionPages || first > regionPages - count) {
                    throw bad("RAM region " + region + " (" + regionPages + " pages) has a run of " + count
                            + " pages at page " + first);
                }
                if (count * PAGE > end - at) {
                    throw bad("RAM region " + region + " is cut inside its run at page " + first + ": the file is truncated");
                }
                at += count * PAGE;
                nextFree = first + count;
            }
            return new RamSection(region, start, length);
        }

        private <E extends Enum<E>> E part(E[] values, int ordinal, String what) {
            if (ordinal < 0 || ordinal >= values.length) {
                throw bad("unknown " + what + " " + ordinal);
            }
            return values[ordinal];
        }

        private ByteBuffer bytes(int n, String what) throws IOException {
            if (n > size - at) {
                throw bad("it ends at byte " + size + ", inside " + what + ": the file is truncated");
            }
            ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                if (in.read(b, at + b.position()) < 0) {
                    throw bad("it ends inside " + what);
                }
            }
            at += n;
            return b.flip();
        }

        private SnapshotFileException bad(String problem) {
            return new SnapshotFileException(file, problem);
        }
    }
}
