package dev.jktstr.benchmarks;

import dev.jktstr.guest.AgentClient;
import dev.jktstr.guest.GuestImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
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

/**
 * One control-protocol round trip through {@link AgentClient} and the real agent (run on the host with
 * {@code --stdio}, so no VM noise), against its peer: the same 20 bytes echoed through {@code cat} over the same
 * kind of pipes, read and written by the calling thread. The ratio is what the client's threads, framing and CRC
 * cost on top of the transport. {@link AgentPingRatio} prints it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class AgentPingBenchmark {
    private Path agentBinary;
    private Process agent;
    private AgentClient client;
    private Process cat;
    private OutputStream catIn;
    private InputStream catOut;
    private final byte[] frame = new byte[20];

    @Setup(Level.Trial)
    public void start() throws IOException {
        agentBinary = Files.createTempFile("jktstr-agent-bench", "");
        Files.write(agentBinary, GuestImage.agentBinary());
        Files.setPosixFilePermissions(agentBinary, PosixFilePermissions.fromString("rwx------"));
        agent = new ProcessBuilder(agentBinary.toString(), "--stdio").start();
        client = AgentClient.connect(agent.getInputStream(), agent.getOutputStream(), Duration.ofSeconds(10));
        cat = new ProcessBuilder("cat").start();
        catIn = cat.getOutputStream();
        catOut = cat.getInputStream();
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException, InterruptedException {
        client.close();
        agent.destroyForcibly().waitFor();
        cat.destroyForcibly().waitFor();
        Files.deleteIfExists(agentBinary);
    }

    @Benchmark
    public void agentPing() {
        client.ping(Duration.ofSeconds(10));
    }

    @Benchmark
    public int pipeEcho() throws IOException {
        catIn.write(frame);
        catIn.flush();
        return catOut.readNBytes(frame, 0, frame.length);
    }
}
