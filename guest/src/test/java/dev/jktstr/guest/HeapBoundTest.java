package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A hostile agent's oversized answers against a JVM with a 64 MiB heap ({@link HostileHeapMain} in a JVM of its own):
 * a capped read costs the host its cap, not what the guest sends; an OutOfMemoryError in the reader breaks the channel
 * instead of leaving a client that looks open while every call times out.
 */
class HeapBoundTest {

    static final String HEAP = "-Xmx64m";

    static String run(String scenario) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(List.of(java, HEAP, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=off", HostileHeapMain.class.getName(), scenario))
                .redirectErrorStream(true).start();
        boolean exited = p.waitFor(120, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(exited).as("the hostile-heap JVM ended; output:%n%s", output).isTrue();
        System.out.println("HostileHeapMain " + scenario + " with " + HEAP + ": " + output.strip());
        assertThat(p.exitValue()).as(output).isZero();
        return output;
    }

    @Test
    void aCappedReadCostsItsCapNotWhatTheGuestSends() throws Exception {
        assertThat(run("cap")).contains("PASS");
    }

    @Test
    void outOfMemoryInTheReaderBreaksTheChannel() throws Exception {
        assertThat(run("oom")).contains("PASS");
    }
}
