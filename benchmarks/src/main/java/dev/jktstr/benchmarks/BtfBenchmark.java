package dev.jktstr.benchmarks;

import dev.jktstr.btf.Btf;
import dev.jktstr.btf.BtfKind;
import dev.jktstr.btf.BtfType;
import dev.jktstr.btf.elf.Elf;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * BTF of the shared vmlinux: parse and index it; resolve 1,000 field paths; render the raw listing.
 * Targets: parse ≤ 10 ms warm and ≤ 4 MiB allocated (run with {@code -prof gc}: see gc.alloc.rate.norm).
 *
 * <p>{@link #main} runs these under JMH with the GC profiler, then runs
 * {@code jktstr btf dump F} and {@code bpftool btf dump file F format raw} as whole processes, alternating,
 * into /dev/null, and prints their ratio (a warm in-JVM parse is not compared with a process that also starts
 * and prints). The vmlinux is {@code -Djktstr.vmlinux=FILE}, else {@code $JKTSTR_KERNEL/vmlinux}, else
 * {@code ../shared/kernels/linux-6.12-sched_ext/vmlinux}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BtfBenchmark {

    private Elf elf;
    private MemorySegment section;
    private Btf btf;
    private String[] paths;

    static Path vmlinux() {
        String prop = System.getProperty("jktstr.vmlinux");
        if (prop != null && !prop.isEmpty()) {
            return Path.of(prop);
        }
        var kernel = dev.jktstr.kconfig.KernelLookup.standard().find();
        return kernel.vmlinux().orElseThrow(() -> new IllegalStateException(
                "the kernel found (" + kernel.image() + ", from " + kernel.origin() + ") has no vmlinux beside it"));
    }

    @Setup(Level.Trial)
    public void setup() {
        Path file = vmlinux();
        if (!Files.isReadable(file)) {
            throw new IllegalStateException("vmlinux not readable at " + file + ": set -Djktstr.vmlinux or JKTSTR_KERNEL");
        }
        elf = Elf.open(file);
        section = elf.data(elf.section(".BTF").orElseThrow());
        btf = Btf.of(section);
        paths = fieldPaths(btf, 1000);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        elf.close();
    }

    /**
     * 1,000 paths "struct.member" and "struct.member.member" over named structs, spread over the whole
     * type table, deterministic.
     */
    static String[] fieldPaths(Btf btf, int n) {
        Set<String> out = new LinkedHashSet<>(n * 2);
        int count = btf.typeCount();
        for (int pass = 0; pass < 29 && out.size() < n; pass++) {
            for (int id = 1 + pass; id < count && out.size() < n; id += 29) {
                addPaths(btf, id, out, n);
            }
        }
        if (out.size() < n) {
            throw new IllegalStateException("only " + out.size() + " field paths found");
        }
        return out.toArray(String[]::new);
    }

    /** Up to 3 paths into struct {@code id}, one level deeper where the member is a named struct. */
    private static void addPaths(Btf btf, int id, Set<String> out, int n) {
        if (btf.kind(id) != BtfKind.STRUCT || btf.name(id).isEmpty()) {
            return;
        }
        var s = (BtfType.Composite) btf.type(id);
        if (btf.find(s.name(), BtfKind.STRUCT).orElse(-1) != id) {
            return; // duplicate name: paths resolve against the first struct of that name
        }
        int taken = 0;
        for (var m : s.members()) {
            if (m.name().isEmpty() || out.size() >= n || taken++ >= 3) {
                continue;
            }
            int inner = btf.resolve(m.type());
            if (btf.kind(inner) == BtfKind.STRUCT && !btf.name(inner).isEmpty()) {
                var is = (BtfType.Composite) btf.type(inner);
                var last = is.members().isEmpty() ? null : is.members().getLast();
                if (last != null && !last.name().isEmpty()) {
                    out.add(s.name() + "." + m.name() + "." + last.name());
                    continue;
                }
            }
            out.add(s.name() + "." + m.name());
        }
    }

    /** Validates the header and every type record, and builds the id → offset index. */
    @Benchmark
    public Btf parseAndIndex() {
        return Btf.of(section);
    }

    /** As {@link #parseAndIndex()} plus the name index, built by the first lookup by name. */
    @Benchmark
    public int parseIndexAndFindByName() {
        return Btf.of(section).find("task_struct").orElseThrow();
    }

    /** 1,000 field paths on an already indexed BTF (name index warm). */
    @Benchmark
    public void resolve1000FieldPaths(Blackhole bh) {
        for (String p : paths) {
            bh.consume(btf.fieldPath(p).bitOffset());
        }
    }

    /** The whole bpftool-format raw listing into nothing: the work `bpftool ... format raw > /dev/null` does. */
    @Benchmark
    public void dumpRawToNull(Blackhole bh) throws IOException {
        NullAppendable out = new NullAppendable();
        Btf.of(section).dumpRaw(out);
        bh.consume(out.chars);
    }

    static final class NullAppendable implements Appendable {
        long chars;

        @Override
        public Appendable append(CharSequence csq) {
            chars += csq.length();
            return this;
        }

        @Override
        public Appendable append(CharSequence csq, int start, int end) {
            chars += end - start;
            return this;
        }

        @Override
        public Appendable append(char c) {
            chars++;
            return this;
        }
    }

    /** Wall time of one whole process with its output discarded. */
    static double processMillis(List<String> command) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue());
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    /** The CLI jar ({@code -Djktstr.cli.jar}, else {@code cli/target/jktstr.jar}), or an IOException saying how to build it. */
    static Path cliJar() throws IOException {
        Path jar = Path.of(System.getProperty("jktstr.cli.jar", "cli/target/jktstr.jar")).toAbsolutePath();
        if (!java.nio.file.Files.isRegularFile(jar)) {
            throw new IOException(jar + " not found: build the CLI (mvn -pl cli -am package) or pass -Djktstr.cli.jar=JAR");
        }
        return jar;
    }

    /** This JVM's java, to start a CLI process with: {@code java --enable-native-access=ALL-UNNAMED OPTIONS -jar JAR}. */
    static List<String> cliCommand(Path jar, String... jvmOptions) {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED"));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-jar", jar.toString()));
        return command;
    }

    /** bpftool, on PATH or in /usr/sbin (where Debian puts it), if installed. */
    static java.util.Optional<Path> bpftool() {
        return dev.jktstr.machine.HostTools.onPath().withExtraDirs(Path.of("/usr/sbin"), Path.of("/sbin")).find("bpftool");
    }

    /**
     * Whole processes against whole processes: {@code jktstr btf dump FILE} ({@code cli} is the java command that
     * starts the CLI; JVM start included) and {@code bpftool btf dump file FILE format raw}, both into /dev/null,
     * alternating; medians of {@code runs}.
     */
    static double[] wholeProcessMillis(List<String> cli, Path file, int runs) throws IOException, InterruptedException {
        List<String> ours = new java.util.ArrayList<>(cli);
        ours.addAll(List.of("btf", "dump", file.toString()));
        Path tool = bpftool().orElseThrow(() -> new IOException("bpftool not found (apt-get install bpftool)"));
        List<String> peer = List.of(tool.toString(), "btf", "dump", "file", file.toString(), "format", "raw");
        double[] a = new double[runs];
        double[] b = new double[runs];
        for (int i = 0; i < runs; i++) {
            a[i] = processMillis(ours);
            b[i] = processMillis(peer);
        }
        Arrays.sort(a);
        Arrays.sort(b);
        return new double[] {a[runs / 2], b[runs / 2]};
    }

    private static double score(Collection<RunResult> results, String benchmark) {
        return results.stream().filter(r -> r.getParams().getBenchmark().endsWith("." + benchmark))
                .findFirst().orElseThrow().getPrimaryResult().getScore();
    }

    private static double secondary(Collection<RunResult> results, String benchmark, String label) {
        return results.stream().filter(r -> r.getParams().getBenchmark().endsWith("." + benchmark))
                .findFirst().map(r -> {
                    Result<?> res = r.getSecondaryResults().get(label);
                    return res == null ? Double.NaN : res.getScore();
                }).orElse(Double.NaN);
    }

    public static void main(String[] args) throws Exception {
        Path file = vmlinux();
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(BtfBenchmark.class.getName())
                .addProfiler(GCProfiler.class)
                .jvmArgsAppend("-Djktstr.vmlinux=" + file.toAbsolutePath())
                .build()).run();
        double parse = score(results, "parseAndIndex");
        double parseBytes = secondary(results, "parseAndIndex", "gc.alloc.rate.norm");
        double named = score(results, "parseIndexAndFindByName");
        double paths = score(results, "resolve1000FieldPaths");
        double raw = score(results, "dumpRawToNull");
        double[] processes = wholeProcessMillis(cliCommand(cliJar()), file, 10);
        System.out.printf("BTF of %s%n", file);
        System.out.printf("  parse+index        %8.3f ms, %.2f MiB allocated per op (targets: <= 10 ms, <= 4 MiB)%n",
                parse, parseBytes / (1 << 20));
        System.out.printf("  + name index       %8.3f ms%n", named);
        System.out.printf("  1000 field paths   %8.3f ms%n", paths);
        System.out.printf("  raw listing        %8.3f ms (to a null sink)%n", raw);
        System.out.printf("  whole process: jktstr btf dump %.1f ms, bpftool btf dump ... format raw %.1f ms"
                + " (medians of 10, alternating, output to /dev/null)%n", processes[0], processes[1]);
        System.out.printf("  ratio jktstr/bpftool (whole processes) %.2f%n", processes[0] / processes[1]);
    }
}
