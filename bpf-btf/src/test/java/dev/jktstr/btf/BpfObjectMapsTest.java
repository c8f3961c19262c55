package dev.jktstr.btf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.btf.elf.Elf;
import dev.jktstr.btf.elf.EmbeddedBpfObjects;
import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.testsupport.SharedAssets;
import dev.jktstr.testsupport.TinyElf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The maps of the BPF objects the shared scheduler binaries embed (libbpf skeletons), against what their source
 * declares and, as an oracle, bpftool's reading of the extracted object's BTF.
 */
class BpfObjectMapsTest {
    private static final int PERCPU_ARRAY = 6, ARRAY = 2;

    @TempDir
    Path tmp;

    /** Each scheduler binary embeds exactly one BPF ELF, which the test reads while {@code arena} is open. */
    private static MemorySegment embedded(String scheduler, Arena arena) throws Exception {
        Path binary = SharedAssets.requireScheduler(scheduler);
        try (FileChannel ch = FileChannel.open(binary, StandardOpenOption.READ)) {
            List<MemorySegment> objects = EmbeddedBpfObjects.in(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena));
            assertThat(objects).as(scheduler).hasSize(1);
            return objects.getFirst();
        }
    }

    private static Map<String, BpfObjectMap> byName(BpfObjectMaps maps) {
        return maps.maps().stream().collect(Collectors.toMap(BpfObjectMap::name, m -> m));
    }

    @Test
    void scxSimpleDeclaresItsPerCpuStatsArrayAndItsGlobalSections() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            Elf elf = Elf.of(embedded("scx_simple", arena));
            assertThat(elf.machine()).isEqualTo(Elf.EM_BPF);
            BpfObjectMaps maps = BpfObjectMaps.of(elf).orElseThrow();
            Map<String, BpfObjectMap> m = byName(maps);
            assertThat(m).containsOnlyKeys("stats", "simple_ops", ".rodata", ".data", ".data.uei_dump", ".bss");
            BpfObjectMap stats = m.get("stats");
            // __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(key_size, sizeof(u32)); __uint(value_size, sizeof(u64));
            // __uint(max_entries, 2)
            assertThat(stats).isEqualTo(new BpfObjectMap("stats", BpfObjectMap.Kind.DEFINED, PERCPU_ARRAY, 2, 0, 0, 8));
            assertThat(stats.isArray()).isTrue();
            assertThat(m.get("simple_ops").kind()).isEqualTo(BpfObjectMap.Kind.STRUCT_OPS);
            BpfObjectMap bss = m.get(".bss");
            assertThat(bss.kind()).isEqualTo(BpfObjectMap.Kind.GLOBAL_DATA);
            assertThat(bss.maxEntries()).isEqualTo(1);
            assertThat(bss.mapType()).isEqualTo(ARRAY);
            BtfType.Datasec sec = (BtfType.Datasec) maps.btf().type(bss.valueType());
            assertThat(sec.vars()).extracting(v -> maps.btf().name(v.type())).containsExactly("vtime_now");
        }
    }

    @Test
    void scxQmapDeclaresTypedMapsAndItsCountersAreBssVariables() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            BpfObjectMaps maps = BpfObjectMaps.of(Elf.of(embedded("scx_qmap", arena))).orElseThrow();
            Btf btf = maps.btf();
            Map<String, BpfObjectMap> m = byName(maps);
            assertThat(m).containsKeys("queue0", "queue_arr", "task_ctx_stor", "cpu_ctx_stor", "qmap_ops", ".bss",
                    ".data", ".rodata", ".data.uei_dump");
            BpfObjectMap cpuCtx = m.get("cpu_ctx_stor"); // __type(key, u32); __type(value, struct cpu_ctx)
            assertThat(cpuCtx.mapType()).isEqualTo(PERCPU_ARRAY);
            assertThat(cpuCtx.maxEntries()).isEqualTo(1);
            assertThat(btf.typeName(cpuCtx.keyType())).isEqualTo("u32");
            assertThat(btf.typeName(cpuCtx.valueType())).isEqualTo("struct cpu_ctx");
            BtfType.Datasec bss = (BtfType.Datasec) btf.type(m.get(".bss").valueType());
            assertThat(bss.vars()).extracting(v -> btf.name(v.type())).contains("nr_enqueued", "nr_dispatched");
        }
    }

    /** libbpf's internal_map_name(): the object's name, 8 characters of it, before the section's. */
    @Test
    void globalSectionMapsAreNamedAfterTheObjectAsLibbpfNamesThem() {
        BpfObjectMap bss = new BpfObjectMap(".bss", BpfObjectMap.Kind.GLOBAL_DATA, ARRAY, 1, 0, 0, -1);
        assertThat(bss.kernelName("scx_qmap")).isEqualTo("scx_qmap.bss");
        assertThat(bss.kernelName("scx_simple")).isEqualTo("scx_simp.bss");
        assertThat(bss.kernelName("my-obj")).isEqualTo("my_obj.bss");
        for (String name : List.of("scx_qmap.bss", "scx_simp.bss", "a.bss", ".bss")) {
            assertThat(bss.mayBeNamed(name)).as(name).isTrue();
        }
        for (String name : List.of("scx_simple.bss", "scx_qmap.bs", "scx_qmap.data", "bss")) {
            assertThat(bss.mayBeNamed(name)).as(name).isFalse();
        }
        BpfObjectMap rodata = new BpfObjectMap(".rodata", BpfObjectMap.Kind.GLOBAL_DATA, ARRAY, 1, 0, 0, -1);
        assertThat(rodata.kernelName("scx_simple")).isEqualTo("scx_simp.rodata").hasSize(BpfObjectMap.MAX_NAME);
        // .data.NAME sections get no prefix, and the kernel keeps 15 characters
        BpfObjectMap custom = new BpfObjectMap(".data.uei_dump_longer", BpfObjectMap.Kind.GLOBAL_DATA, ARRAY, 1, 0, 0, -1);
        assertThat(custom.kernelName("scx_qmap")).isEqualTo(".data.uei_dump_");
        assertThat(custom.mayBeNamed(".data.uei_dump_")).isTrue();
        BpfObjectMap defined = new BpfObjectMap("a_rather_long_map_name", BpfObjectMap.Kind.DEFINED, ARRAY, 4, 0, 0, -1);
        assertThat(defined.kernelName("x")).isEqualTo("a_rather_long_m");
        assertThat(defined.mayBeNamed("a_rather_long_m")).isTrue();
    }

    @Test
    void aProgramWithoutAnEmbeddedObjectHasNone() {
        byte[] exe = TinyElf.exiting(0, "no BPF here");
        assertThat(EmbeddedBpfObjects.in(MemorySegment.ofArray(exe))).isEmpty();
        byte[] magicByChance = new byte[256];
        magicByChance[100] = 0x7f;
        magicByChance[101] = 'E';
        magicByChance[102] = 'L';
        magicByChance[103] = 'F';
        magicByChance[118] = (byte) Elf.EM_BPF; // e_machine, then nothing an ELF reader can use
        assertThat(EmbeddedBpfObjects.in(MemorySegment.ofArray(magicByChance))).isEmpty();
    }

    /** The oracle: bpftool's raw dump of the extracted object names the same .maps and struct_ops variables. */
    @Test
    void theExtractedObjectsMapsAreThoseBpftoolFindsInItsBtf() throws Exception {
        HostProgram.require("bpftool", "install bpftool (Debian: apt-get install bpftool)");
        for (String scheduler : List.of("scx_simple", "scx_qmap")) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment object = embedded(scheduler, arena);
                Path file = Files.write(tmp.resolve(scheduler + ".bpf.o"), object.toArray(ValueLayout.JAVA_BYTE));
                String raw = TestEnv.run(List.of("bpftool", "btf", "dump", "file", file.toString(), "format", "raw"), null);
                List<BpfObjectMap> maps = BpfObjectMaps.of(Elf.of(object)).orElseThrow().maps();
                assertThat(maps.stream().filter(m -> m.kind() == BpfObjectMap.Kind.DEFINED).map(BpfObjectMap::name))
                        .as(scheduler).containsExactlyElementsOf(varsOf(raw, ".maps"));
                assertThat(maps.stream().filter(m -> m.kind() == BpfObjectMap.Kind.STRUCT_OPS).map(BpfObjectMap::name))
                        .as(scheduler).containsExactlyElementsOf(varsOf(raw, ".struct_ops.link"));
                assertThat(maps.stream().filter(m -> m.kind() == BpfObjectMap.Kind.GLOBAL_DATA).map(BpfObjectMap::name))
                        .as(scheduler).containsExactlyInAnyOrderElementsOf(datasecs(raw).stream()
                                .filter(s -> s.startsWith(".data") || s.startsWith(".rodata") || s.startsWith(".bss")).toList());
            }
        }
    }

    /** The VAR names a DATASEC of bpftool's raw dump lists, in order. */
    private static List<String> varsOf(String raw, String datasec) {
        Matcher sec = Pattern.compile("(?m)^\\[\\d+] DATASEC '" + Pattern.quote(datasec) + "'.*\\n((?:\\t.*\\n)*)").matcher(raw);
        assertThat(sec.find()).as("DATASEC " + datasec).isTrue();
        return Pattern.compile("\\(VAR '([^']+)'\\)").matcher(sec.group(1)).results().map(r -> r.group(1)).toList();
    }

    private static List<String> datasecs(String raw) {
        return Pattern.compile("(?m)^\\[\\d+] DATASEC '([^']+)'").matcher(raw).results().map(r -> r.group(1)).toList();
    }
}
