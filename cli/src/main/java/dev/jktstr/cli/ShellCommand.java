package dev.jktstr.cli;

import dev.jktstr.guest.GuestSession;
import dev.jktstr.guest.ExecResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jktstr shell}: an interactive busybox shell on the guest's serial console, or with
 * {@code --exec} one shell command line run by the agent, its output printed and its exit code returned.
 */
@Command(name = "shell", mixinStandardHelpOptions = true,
        description = "Boot a guest and open a busybox shell on its console, or run one command with --exec.")
public final class ShellCommand implements Callable<Integer> {

    @Mixin
    MachineOptions machine;

    @Option(names = "--exec", paramLabel = "CMD",
            description = "Run this shell command line in the guest, print its output and exit with its status.")
    String exec;

    @Option(names = "--exec-timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "Longest the --exec command may run (default: ${DEFAULT-VALUE}).")
    long execTimeoutSeconds;

    @Override
    public Integer call() throws IOException, InterruptedException {
        return exec != null ? runOne() : interactive();
    }

    private int runOne() {
        try (GuestSession guest = GuestBoot.start(machine, "")) {
            ExecResult r = guest.agent().exec(List.of("/bin/sh", "-c", exec), java.util.Map.of(),
                    Duration.ofSeconds(execTimeoutSeconds));
            System.out.write(r.stdout(), 0, r.stdout().length);
            System.out.flush();
            System.err.write(r.stderr(), 0, r.stderr().length);
            System.err.flush();
            guest.powerOff(java.time.Duration.ofSeconds(10));
            if (r.timedOut()) {
                System.err.println("jktstr shell: command timed out after " + execTimeoutSeconds + " s");
                return 124;
            }
            return r.signal() != 0 ? 128 + r.signal() : r.exitCode();
        }
    }

    private int interactive() throws IOException, InterruptedException {
        try (GuestSession guest = GuestBoot.start(machine, "jktstr.shell=1")) {
            System.err.printf("[jktstr] guest ready in %d ms; shell on the serial console, `exit` powers off%n",
                    guest.bootToReady().toMillis());
            String saved = rawTerminal();
            try {
                Thread input = Thread.ofPlatform().daemon().name("jktstr-shell-input").start(() ->
                        copy(System.in, guest.machine().consoleInput()));
                copy(guest.machine().console(), System.out);
                input.interrupt();
            } finally {
                restoreTerminal(saved);
            }
            System.err.println("[jktstr] guest exited: " + guest.machine().awaitExit(Duration.ofSeconds(10)));
        }
        return 0;
    }

    private static void copy(InputStream in, OutputStream out) {
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one side went away: the guest exited or the terminal closed
        }
    }

    /** Puts the terminal into raw mode so keys (Ctrl-C too) reach the guest; returns the state to restore. */
    private static String rawTerminal() {
        if (System.console() == null || !Files.exists(Path.of("/dev/tty"))) {
            return null;
        }
        String saved = stty("-g");
        stty("raw", "-echo");
        return saved;
    }

    private static void restoreTerminal(String saved) {
        if (saved != null) {
            stty(saved.strip());
        }
    }

    private static String stty(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("stty"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(new java.io.File("/dev/tty")).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

}
