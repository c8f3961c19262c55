package dev.jktstr.btf;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.SharedAssets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Where the shared test kernel and the oracle tools are; tests skip with a reason when one is missing. */
public final class TestEnv {
    private TestEnv() {}

    /**
     * The shared test kernel directory: {@code JKTSTR_KERNEL} if set (the only place this module reads it),
     * else {@code ../shared/kernels/linux-6.12-sched_ext} beside the repository root.
     */
    public static Path kernelDir() {
        return SharedAssets.kernelLocation();
    }

    public static Path requireKernelFile(String name) {
        return SharedAssets.requireKernelFile(name);
    }


    /** Runs a command, returns its stdout; fails the test on a non-zero exit. */
    public static String run(List<String> cmd, Path stdoutFile) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        Path out = stdoutFile != null ? stdoutFile : Files.createTempFile("jktstr-cmd", ".out");
        Path err = Files.createTempFile("jktstr-cmd", ".err");
        try {
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + cmd);
            }
            if (p.exitValue() != 0) {
                throw new AssertionError(cmd + " exited " + p.exitValue() + ": "
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return stdoutFile != null ? "" : Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(err);
            if (stdoutFile == null) {
                Files.deleteIfExists(out);
            }
        }
    }
}
