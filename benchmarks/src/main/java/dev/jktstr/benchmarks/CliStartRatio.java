package dev.jktstr.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a user waits for before the CLI does anything, as whole processes: {@code jktstr --help} with and without
 * the JDK's AOT cache (the launcher makes one after each build), and {@code jktstr btf dump vmlinux} against
 * {@code bpftool btf dump file vmlinux format raw}, both into /dev/null. The commands alternate round by round;
 * medians are compared. Targets: help ≤ 0.3 s with the cache; btf dump ≤ 1.0 × bpftool.
 *
 * <p>Usage: {@code CliStartRatio [rounds]} (default 10) with {@code -Djktstr.cli.jar=JAR}; the vmlinux is
 * {@link BtfBenchmark#vmlinux()}'s. The cache is made here, next to a copy of the jar, so the launcher's own is
 * left alone.
 */
public final class CliStartRatio {

    private CliStartRatio() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path jar = BtfBenchmark.cliJar();
        Path vmlinux = BtfBenchmark.vmlinux();
        Path dir = Files.createTempDirectory("jktstr-cli-start");
        try {
            Path copy = Files.copy(jar, dir.resolve("jktstr.jar"));
            Path aot = dir.resolve("jktstr.aot");
            List<String> plain = BtfBenchmark.cliCommand(copy);
            BtfBenchmark.processMillis(with(BtfBenchmark.cliCommand(copy, "-XX:AOTCacheOutput=" + aot), "--help"));
            List<String> cached = BtfBenchmark.cliCommand(copy, "-XX:AOTCache=" + aot, "-Xlog:aot=off", "-Xlog:cds=off");
            double[] helpPlain = new double[rounds];
            double[] helpCached = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                boolean cachedFirst = i % 2 == 1;
                if (cachedFirst) {
                    helpCached[i] = BtfBenchmark.processMillis(with(cached, "--help"));
                    helpPlain[i] = BtfBenchmark.processMillis(with(plain, "--help"));
                } else {
                    helpPlain[i] = BtfBenchmark.processMillis(with(plain, "--help"));
                    helpCached[i] = BtfBenchmark.processMillis(with(cached, "--help"));
                }
            }
            System.out.printf("jktstr --help, whole process, median of %d: %.0f ms with the AOT cache, %.0f ms without;"
                    + " ratio %.2f (target <= 300 ms with the cache)%n", rounds, median(helpCached), median(helpPlain),
                    median(helpCached) / median(helpPlain));
            if (BtfBenchmark.bpftool().isPresent()) {
                double[] dump = BtfBenchmark.wholeProcessMillis(cached, vmlinux, rounds);
                System.out.printf("btf dump of %s, whole processes, median of %d: jktstr %.0f ms, bpftool %.0f ms;"
                        + " ratio %.2f (target <= 1.0)%n", vmlinux, rounds, dump[0], dump[1], dump[0] / dump[1]);
            } else {
                System.out.println("btf dump: bpftool not found, no ratio (apt-get install bpftool)");
            }
        } finally {
            dev.jktstr.machine.RunDirectory.deleteTree(dir);
        }
    }

    private static List<String> with(List<String> command, String... args) {
        List<String> all = new ArrayList<>(command);
        all.addAll(List.of(args));
        return all;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
