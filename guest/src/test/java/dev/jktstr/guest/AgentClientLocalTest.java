package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host client against the real agent, run on the host in --stdio mode (no VM needed). */
class AgentClientLocalTest {
    static LocalAgent agent;
    static AgentClient client;

    @BeforeAll
    static void start() throws IOException {
        agent = new LocalAgent();
        client = agent.client;
    }

    @AfterAll
    static void stop() throws IOException {
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void readyCarriesKernelRelease() throws Exception {
        String uname = new String(new ProcessBuilder("uname", "-r").start().getInputStream().readAllBytes(),
                StandardCharsets.UTF_8).strip();
        assertThat(client.kernelRelease()).isEqualTo(uname);
        client.ping(Duration.ofSeconds(5));
    }

    @Test
    void execRoundTrip() {
        ExecResult r = client.exec(List.of("sh", "-c", "echo out-$FOO; echo err >&2; exit 3"), Map.of("FOO", "bar"),
                Duration.ofSeconds(10));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.signal()).isZero();
        assertThat(r.timedOut()).isFalse();
        assertThat(r.stdoutText()).isEqualTo("out-bar\n");
        assertThat(r.stderrText()).isEqualTo("err\n");
    }

    @Test
    void execFeedsStdin() {
        byte[] input = new byte[300_000];
        new Random(1).nextBytes(input);
        ExecResult r = client.exec(List.of("cat"), Map.of(), input, Duration.ofSeconds(10));
        assertThat(r.succeeded()).isTrue();
        assertThat(r.stdout()).isEqualTo(input);
    }

    @Test
    void execTimeoutKillsTheCommand() {
        ExecResult r = client.exec(List.of("sleep", "30"), Map.of(), Duration.ofMillis(300));
        assertThat(r.timedOut()).isTrue();
        assertThat(r.signal()).isEqualTo(9);
        assertThat(r.succeeded()).isFalse();
    }

    @Test
    void execOutputIsBounded() {
        ExecResult r = client.exec(List.of("sh", "-c", "head -c 3000000 /dev/zero"), Map.of(), Duration.ofSeconds(20));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdoutTruncated()).isTrue();
        assertThat(r.stdout()).hasSize(Protocol.MAX_EXEC_OUTPUT);
    }

    @Test
    void execOfMissingProgramExits127() {
        ExecResult r = client.exec(List.of("/nonexistent/program"), Map.of(), Duration.ofSeconds(5));
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.stderrText()).contains("No such file");
    }

    @Test
    void backgroundChildHoldingThePipesDoesNotBlockExec() {
        ExecResult r = client.exec(List.of("sh", "-c", "sleep 20 & echo $!"), Map.of(), Duration.ofSeconds(10));
        // The local agent runs on this host: end the child it left behind.
        long child = Long.parseLong(r.stdoutText().strip());
        ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
        assertThat(r.exitCode()).isZero();
        assertThat(r.elapsed()).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void fileRoundTripWithChecksum(@TempDir Path dir) throws Exception {
        byte[] data = new byte[16 << 20];
        new Random(42).nextBytes(data);
        String path = dir.resolve("sub/dir/big.bin").toString();
        client.writeFile(path, data, 0640, Duration.ofSeconds(60));
        assertThat(Files.size(Path.of(path))).isEqualTo(data.length);
        assertThat(Integer.toOctalString(Files.getAttribute(Path.of(path), "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)
                instanceof Integer m ? m & 07777 : -1)).isEqualTo("640");
        byte[] back = client.readFile(path, Duration.ofSeconds(60));
        assertThat(sha256(back)).isEqualTo(sha256(data));
        client.writeFile(dir.resolve("empty").toString(), new byte[0], 0600);
        assertThat(client.readFile(dir.resolve("empty").toString())).isEmpty();
    }

    @Test
    void agentErrorsCarryErrnoNames(@TempDir Path dir) {
        assertThatThrownBy(() -> client.readFile(dir.resolve("missing").toString()))
                .isInstanceOf(AgentException.class)
                .satisfies(e -> assertThat(((AgentException) e).errnoName()).contains("ENOENT"));
        assertThatThrownBy(() -> client.writeFile("/proc/nonexistent/x", new byte[3 << 20], 0644))
                .isInstanceOf(AgentException.class);
        client.ping(); // still in sync after an aborted write
    }

    @Test
    void endlessFileStopsAtTheSizeLimit() {
        AgentClient c = client;
        c.setMaxFileSize(3 << 20);
        try {
            assertThatThrownBy(() -> c.readFile("/dev/zero", Duration.ofSeconds(20)))
                    .isInstanceOf(AgentException.class)
                    .satisfies(e -> assertThat(((AgentException) e).errnoName()).contains("EFBIG"));
            c.ping();
        } finally {
            c.setMaxFileSize(AgentClient.DEFAULT_MAX_FILE_SIZE);
        }
    }

    @Test
    void agentSurvivesGarbageFromTheHost() throws Exception {
        OutputStream raw = agent.process.getOutputStream();
        synchronized (raw) {
            raw.write("this is not a frame at all, just noise".getBytes(StandardCharsets.US_ASCII));
            // a header with a valid magic but an absurd length, then one with a wrong CRC
            raw.write(FrameCodec.header(77, Protocol.PING, new byte[0], 0, 0), 0, 12);
            raw.write(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 0, 0, 0, 0});
            byte[] bad = FrameCodec.encode(78, Protocol.PING, new byte[] {1, 2, 3});
            bad[bad.length - 1] ^= 1;
            raw.write(bad);
            raw.flush();
        }
        client.ping(Duration.ofSeconds(5));
        assertThat(client.exec(List.of("true"), Map.of(), Duration.ofSeconds(5)).succeeded()).isTrue();
    }

    @Test
    void guestThatNeverAnnouncesItselfTimesOut() throws IOException {
        try (PipedOutputStream guestSide = new PipedOutputStream(); InputStream in = new PipedInputStream(guestSide)) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> AgentClient.connect(in, OutputStream.nullOutputStream(), Duration.ofMillis(300)))
                    .isInstanceOf(AgentTimeoutException.class).hasMessageContaining("READY");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void guestThatStopsAnsweringTimesOutEachCall() throws IOException {
        PipedOutputStream guestSide = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(guestSide, 1 << 16);
        guestSide.write(FrameCodec.encode(0, Protocol.READY, readyPayload(Protocol.VERSION)));
        guestSide.flush();
        // A host->guest stream nobody reads: writes block forever once a pipe buffer would be full.
        PipedOutputStream hostSide = new PipedOutputStream();
        PipedInputStream neverRead = new PipedInputStream(hostSide, 1024);
        try (AgentClient c = AgentClient.connect(in, hostSide, Duration.ofSeconds(5))) {
            assertThat(c.kernelRelease()).isEqualTo("6.0-fake");
            assertThatThrownBy(() -> c.ping(Duration.ofMillis(200))).isInstanceOf(AgentTimeoutException.class);
            assertThatThrownBy(() -> c.writeFile("/x", new byte[1 << 20], 0644, Duration.ofMillis(300)))
                    .isInstanceOf(AgentTimeoutException.class);
            assertThatThrownBy(() -> c.exec(List.of("x"), Map.of(), Duration.ofMillis(1)))
                    .isInstanceOf(AgentTimeoutException.class);
        } finally {
            guestSide.close();
            neverRead.close();
        }
    }

    @Test
    void corruptFrameFromTheGuestBreaksTheClient() throws IOException {
        PipedOutputStream guestSide = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(guestSide, 1 << 16);
        guestSide.write(FrameCodec.encode(0, Protocol.READY, readyPayload(Protocol.VERSION)));
        try (AgentClient c = AgentClient.connect(in, OutputStream.nullOutputStream(), Duration.ofSeconds(5))) {
            byte[] bad = FrameCodec.encode(1, Protocol.OK, new byte[] {1});
            bad[Protocol.HEADER_SIZE] ^= 0x40;
            guestSide.write(bad);
            guestSide.flush();
            assertThatThrownBy(() -> c.ping(Duration.ofSeconds(5))).isInstanceOf(AgentProtocolException.class)
                    .hasMessageContaining("CRC32");
            assertThat(c.isOpen()).isFalse();
            assertThatThrownBy(() -> c.ping(Duration.ofSeconds(5))).isInstanceOf(AgentProtocolException.class);
        } finally {
            guestSide.close();
        }
    }

    @Test
    void wrongProtocolVersionIsRefused() throws IOException {
        PipedOutputStream guestSide = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(guestSide, 1 << 16);
        guestSide.write(FrameCodec.encode(0, Protocol.READY, readyPayload(99)));
        try {
            assertThatThrownBy(() -> AgentClient.connect(in, OutputStream.nullOutputStream(), Duration.ofSeconds(5)))
                    .isInstanceOf(AgentProtocolException.class).hasMessageContaining("version 99");
        } finally {
            guestSide.close();
        }
    }

    static byte[] readyPayload(int version) {
        return new PayloadWriter().u32(version).u64(1234).u64(1500).str("6.0-fake").str("").toBytes();
    }

    static String sha256(byte[] data) throws Exception {
        return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
