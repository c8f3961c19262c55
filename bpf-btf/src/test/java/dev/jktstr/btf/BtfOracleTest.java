package dev.jktstr.btf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jktstr.testsupport.HostProgram;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raw and C dumps against bpftool 7.1 (the oracle), and the C header against gcc. */
class BtfOracleTest {
    private static final String BPFTOOL_HINT = "install bpftool (Debian: apt-get install bpftool)";
    /** Field paths checked against gcc's offsetof/sizeof on the generated header. */
    static final List<String> PATHS = List.of("task_struct.se.sum_exec_runtime", "task_struct.comm[3]",
            "task_struct.scx.dsq_vtime", "rq.nr_running", "rq.scx.nr_running", "rq.scx.local_dsq.nr",
            "rq.cfs.avg.util_avg", "page.lru", "page.mapping", "sk_buff.len", "sk_buff.next",
            "sched_ext_entity.dsq_list.node", "task_struct.pid", "mm_struct.mmap_base");

    static Path vmlinux;
    static Btf btf;

    @BeforeAll
    static void open() {
        vmlinux = TestEnv.requireKernelFile("vmlinux");
        btf = Btf.load(vmlinux);
    }

    @AfterAll
    static void close() {
        if (btf != null) {
            btf.close();
        }
    }

    static void assertSameLines(Path expected, Path actual) throws IOException {
        List<String> e = Files.readAllLines(expected, StandardCharsets.UTF_8);
        List<String> a = Files.readAllLines(actual, StandardCharsets.UTF_8);
        int n = Math.min(e.size(), a.size());
        for (int i = 0; i < n; i++) {
            if (!e.get(i).equals(a.get(i))) {
                fail("line " + (i + 1) + " differs:\n  bpftool: " + e.get(i) + "\n  jktstr:  " + a.get(i));
            }
        }
        assertThat(a.size()).as("line count").isEqualTo(e.size());
    }

    static String normaliseWhitespace(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }

    private static Path write(Path file, Btf b, boolean c) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            if (c) {
                b.dumpC(w);
            } else {
                b.dumpRaw(w);
            }
        }
        return file;
    }

    @Test
    void rawListingEqualsBpftoolLineForLine(@TempDir Path tmp) throws Exception {
        HostProgram.require("bpftool", BPFTOOL_HINT);
        Path expected = tmp.resolve("bpftool.raw");
        TestEnv.run(List.of("bpftool", "btf", "dump", "file", vmlinux.toString(), "format", "raw"), expected);
        assertSameLines(expected, write(tmp.resolve("jktstr.raw"), btf, false));
    }

    @Test
    void cHeaderEqualsBpftoolAndCompilesWithGcc(@TempDir Path tmp) throws Exception {
        HostProgram.require("bpftool", BPFTOOL_HINT);
        Path expected = tmp.resolve("bpftool.h");
        TestEnv.run(List.of("bpftool", "btf", "dump", "file", vmlinux.toString(), "format", "c"), expected);
        Path header = write(tmp.resolve("vmlinux.h"), btf, true);
        // exact equality implies equality after whitespace normalisation; both are asserted for clarity
        assertSameLines(expected, header);
        assertThat(normaliseWhitespace(Files.readString(header)))
                .isEqualTo(normaliseWhitespace(Files.readString(expected)));

        HostProgram.require("gcc", "install gcc (apt-get install gcc)");
        StringBuilder probe = new StringBuilder("#include \"vmlinux.h\"\n");
        for (String path : PATHS) {
            BtfField f = btf.fieldPath(path);
            int dot = path.indexOf('.');
            String type = path.substring(0, dot);
            String member = path.substring(dot + 1);
            probe.append("_Static_assert(__builtin_offsetof(struct ").append(type).append(", ").append(member)
                    .append(") == ").append(f.byteOffset()).append(", \"offset of ").append(path).append("\");\n");
            probe.append("_Static_assert(sizeof(((struct ").append(type).append(" *)0)->").append(member)
                    .append(") == ").append(f.size()).append(", \"size of ").append(path).append("\");\n");
        }
        for (String type : List.of("task_struct", "rq", "sched_ext_entity", "page", "sk_buff")) {
            int id = btf.require(type, BtfKind.STRUCT);
            probe.append("_Static_assert(sizeof(struct ").append(type).append(") == ").append(btf.sizeOf(id))
                    .append(", \"sizeof ").append(type).append("\");\n");
            probe.append("_Static_assert(_Alignof(struct ").append(type).append(") == ").append(btf.alignOf(id))
                    .append(", \"alignof ").append(type).append("\");\n");
        }
        Path c = tmp.resolve("probe.c");
        Files.writeString(c, probe);
        TestEnv.run(List.of("gcc", "-c", "-o", tmp.resolve("probe.o").toString(), c.toString()), null);
    }

    @Test
    void everyKindMatchesBpftool(@TempDir Path tmp) throws Exception {
        HostProgram.require("bpftool", BPFTOOL_HINT);
        Path file = tmp.resolve("all.btf");
        Files.write(file, BtfBuilder.allKinds().build());
        Btf b = Btf.load(file);
        try (b) {
            Path raw = tmp.resolve("bpftool.raw");
            TestEnv.run(List.of("bpftool", "btf", "dump", "file", file.toString(), "format", "raw"), raw);
            assertSameLines(raw, write(tmp.resolve("jktstr.raw"), b, false));
            Path c = tmp.resolve("bpftool.h");
            TestEnv.run(List.of("bpftool", "btf", "dump", "file", file.toString(), "format", "c"), c);
            assertSameLines(c, write(tmp.resolve("jktstr.h"), b, true));
        }
    }

    @Test
    void splitBtfMatchesBpftool(@TempDir Path tmp) throws Exception {
        HostProgram.require("bpftool", BPFTOOL_HINT);
        BtfBuilder baseBuilder = BtfBuilder.allKinds();
        byte[] baseBytes = baseBuilder.build();
        Btf base = Btf.fromBytes(baseBytes);
        BtfBuilder split = new BtfBuilder(base.typeCount(), baseBuilder.stringsSize());
        int intId = base.require("int", BtfKind.INT);
        int item = base.require("item", BtfKind.STRUCT);
        int p = split.ptr(item);
        int s = split.struct("module_state", 16, false, new Object[] {"count", intId, 0},
                new Object[] {"item", p, 64});
        split.typedef("module_state_t", s);
        split.variable("int", intId, 0); // a name that exists in the base string table, given anew
        Path baseFile = tmp.resolve("base.btf");
        Path splitFile = tmp.resolve("split.btf");
        Files.write(baseFile, baseBytes);
        Files.write(splitFile, split.build());
        try (Btf b = Btf.load(splitFile, base)) {
            assertThat(b.firstId()).isEqualTo(base.typeCount());
            assertThat(b.name(s)).isEqualTo("module_state");
            assertThat(b.fieldPath("module_state.item").typeName()).isEqualTo("struct item *");
            assertThat(b.find("item", BtfKind.STRUCT)).hasValue(item);
            Path raw = tmp.resolve("bpftool.raw");
            TestEnv.run(List.of("bpftool", "-B", baseFile.toString(), "btf", "dump", "file", splitFile.toString(),
                    "format", "raw"), raw);
            assertSameLines(raw, write(tmp.resolve("jktstr.raw"), b, false));
            Path c = tmp.resolve("bpftool.h");
            TestEnv.run(List.of("bpftool", "-B", baseFile.toString(), "btf", "dump", "file", splitFile.toString(),
                    "format", "c"), c);
            assertSameLines(c, write(tmp.resolve("jktstr.h"), b, true));
        }
    }

    /** Field paths against gcc on the synthetic header (packed struct, bitfields, anonymous union). */
    @Test
    void syntheticLayoutsMatchGcc(@TempDir Path tmp) throws Exception {
        HostProgram.require("gcc", "install gcc (apt-get install gcc)");
        Btf b = Btf.fromBytes(BtfBuilder.allKinds().build());
        Path header = write(tmp.resolve("all.h"), b, true);
        List<String> lines = new ArrayList<>();
        lines.add("#include \"all.h\"");
        for (String path : List.of("item.st", "item.as_int", "item.name[5]", "item.ins[2].weight", "item.ratio",
                "item.cv", "item.up", "packed_s.x", "pair.b")) {
            BtfField f = b.fieldPath(path);
            int dot = path.indexOf('.');
            lines.add("_Static_assert(__builtin_offsetof(struct " + path.substring(0, dot) + ", "
                    + path.substring(dot + 1) + ") == " + f.byteOffset() + ", \"" + path + "\");");
        }
        for (String type : List.of("item", "packed_s", "pair", "inner")) {
            int id = b.require(type, BtfKind.STRUCT);
            lines.add("_Static_assert(sizeof(struct " + type + ") == " + b.sizeOf(id) + ", \"sizeof " + type + "\");");
            lines.add("_Static_assert(_Alignof(struct " + type + ") == " + b.alignOf(id) + ", \"alignof " + type
                    + "\");");
        }
        Path c = tmp.resolve("probe.c");
        Files.write(c, lines);
        TestEnv.run(List.of("gcc", "-c", "-o", tmp.resolve("probe.o").toString(), "-I", header.getParent().toString(),
                c.toString()), null);
    }
}
