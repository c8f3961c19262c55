package dev.jktstr.kconfig;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs the build's external commands (make, tar, objcopy, apt-get) with their output streamed
 * line by line. A command and all its children die with the build: on failure, interruption and
 * JVM exit.
 */
final class Commands {

    private static final int TAIL_LINES = 40;

    private Commands() {}

    /** Runs {@code command} in {@code dir}; returns its output tail, or throws naming the command. */
    static String run(List<String> command, Path dir, Consumer<String> lines) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().put("LC_ALL", "C");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new KconfigException("cannot run " + command.getFirst() + ": " + e.getMessage()
                    + " (is it installed and on PATH?)", e);
        }
        Thread killer = new Thread(() -> destroyTree(process), "jktstr-kill-" + command.getFirst());
        Runtime.getRuntime().addShutdownHook(killer);
        Deque<String> tail = new ArrayDeque<>();
        try {
            process.getOutputStream().close();
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (tail.size() == TAIL_LINES) {
                        tail.removeFirst();
                    }
                    tail.addLast(line);
                    lines.accept(line);
                }
            }
            int status = process.waitFor();
            if (status != 0) {
                throw new KconfigException(String.join(" ", command) + " failed with exit status " + status
                        + "; last output:\n  " + String.join("\n  ", tail));
            }
            return String.join("\n", tail);
        } catch (IOException e) {
            throw new KconfigException("reading the output of " + command.getFirst() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KconfigException(command.getFirst() + " was interrupted", e);
        } finally {
            destroyTree(process);
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run: the process is being killed anyway
            }
        }
    }

    /** Runs a short command and returns its whole output, trimmed. */
    static String output(List<String> command, Path dir) {
        StringBuilder out = new StringBuilder();
        run(command, dir, line -> out.append(line).append('\n'));
        return out.toString().strip();
    }

    private static void destroyTree(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
