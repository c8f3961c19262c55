package dev.jktstr.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/** The agent binary run on the host in --stdio mode: the real protocol implementation without a VM. */
final class LocalAgent implements AutoCloseable {
    final Process process;
    final Path binary;
    final AgentClient client;

    LocalAgent() throws IOException {
        binary = Files.createTempFile("jktstr-agent-", "");
        Files.write(binary, GuestImage.agentBinary());
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwx------"));
        process = new ProcessBuilder(binary.toString(), "--stdio")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        AgentClient c = null;
        try {
            c = AgentClient.connect(process.getInputStream(), process.getOutputStream(), Duration.ofSeconds(10));
        } finally {
            if (c == null) {
                close();
            }
        }
        client = c;
    }

    @Override
    public void close() throws IOException {
        if (client != null) {
            client.close();
        }
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(binary);
    }
}
