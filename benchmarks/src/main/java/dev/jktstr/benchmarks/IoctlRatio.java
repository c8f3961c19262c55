package dev.jktstr.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link IoctlBenchmark} under JMH, then the same ioctl loop compiled from C with gcc, in the
 * same session, and prints both and their ratio. Target: FFM within 1.2x of C.
 */
public final class IoctlRatio {

    private IoctlRatio() {}

    public static void main(String[] args) throws Exception {
        String kvmPath = System.getProperty("jktstr.kvm.path", "/dev/kvm");
        if (!Files.isReadable(Path.of(kvmPath))) {
            System.err.println("ioctl benchmark skipped: " + kvmPath + " is missing or not readable");
            System.exit(2);
        }
        // The machines are noisy: C runs before and after JMH, and best cases are compared with
        // best cases (C: fastest round; FFM: fastest JMH iteration), next to the means.
        double cBefore = measureC(kvmPath);
        var ffm = measureFfm();
        double cNs = Math.min(cBefore, measureC(kvmPath));
        System.out.printf("ioctl(KVM_GET_API_VERSION): FFM best %.1f ns/call (mean %.1f), C best %.1f ns/call;"
                        + " ratio FFM/C %.3f (target <= 1.2)%n",
                ffm.getMin(), ffm.getMean(), cNs, ffm.getMin() / cNs);
    }

    private static org.openjdk.jmh.util.Statistics measureFfm() throws RunnerException {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                        .include(IoctlBenchmark.class.getName())
                        .timeUnit(TimeUnit.NANOSECONDS)
                        .build())
                .run();
        return results.iterator().next().getPrimaryResult().getStatistics();
    }

    /** Builds the C peer from its bundled source with gcc -O2 in a temp dir and runs it. */
    static double measureC(String kvmPath) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("jktstr-ioctl-bench");
        try {
            Path source = dir.resolve("ioctl_loop.c");
            try (InputStream in = IoctlRatio.class.getResourceAsStream("ioctl_loop.c")) {
                Files.copy(in, source);
            }
            Path binary = dir.resolve("ioctl_loop");
            run(List.of("gcc", "-O2", "-o", binary.toString(), source.toString()));
            return Double.parseDouble(run(List.of(binary.toString(), kvmPath, "1000000", "5")).trim());
        } finally {
            try (var paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output.strip());
        }
        return output;
    }
}
