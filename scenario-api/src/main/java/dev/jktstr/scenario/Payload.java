package dev.jktstr.scenario;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A program a scenario runs in the guest beside its workers ({@link Op#runPayload}): a busybox shell command line
 * ({@link #shell}), a guest command found through the PATH ({@link #command}: busybox's applets, included files), or
 * a static executable of the host's ({@link #binary}), checked before boot and copied into the guest before the
 * run's clock starts. {@link #expectExit} turns its exit status into a claim of the verdict.
 *
 * @param binary       the host executable copied into the guest, or empty for a guest command
 * @param args         for a guest command its whole argv (program first), for a binary the arguments after it
 * @param expectedExit the exit status the verdict claims, if any
 */
public record Payload(Optional<Path> binary, List<String> args, Optional<Integer> expectedExit) {

    public Payload {
        Objects.requireNonNull(binary, "binary");
        Objects.requireNonNull(expectedExit, "expectedExit");
        args = List.copyOf(args); // nulls refused
        if (binary.isEmpty() && (args.isEmpty() || args.getFirst().isEmpty())) {
            throw new InvalidScenarioException("payload", "a command needs a program: command(program, args...)");
        }
        for (String a : args) {
            if (a.indexOf('\0') >= 0) {
                throw new InvalidScenarioException("payload", "an argument holds a NUL byte");
            }
        }
        binary.ifPresent(b -> GuestBinary.check(b, "payload.binary", "payload binary", GuestBinary.MAX_BYTES));
        if (expectedExit.isPresent() && (expectedExit.get() < 0 || expectedExit.get() > 255)) {
            throw new InvalidScenarioException("payload.expectExit", "an exit status is 0..255, got " + expectedExit.get());
        }
    }

    /** {@code /bin/sh -c commandLine} (busybox's shell): {@code shell("echo hi; exit 3")}. */
    public static Payload shell(String commandLine) {
        Objects.requireNonNull(commandLine, "commandLine");
        return new Payload(Optional.empty(), List.of("/bin/sh", "-c", commandLine), Optional.empty());
    }

    /** A guest program and its arguments, found through the guest's PATH: {@code command("sleep", "600")}. */
    public static Payload command(String program, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(program);
        argv.addAll(List.of(args));
        return new Payload(Optional.empty(), argv, Optional.empty());
    }

    /**
     * A static x86-64 executable of the host's with its arguments: refused now unless it exists and can run in the
     * guest ({@link Scheduler#binary} has the same rule); copied to {@link #guestBinaryPath()} before the run starts.
     */
    public static Payload binary(Path hostExecutable, String... args) {
        return new Payload(Optional.of(hostExecutable), List.of(args), Optional.empty());
    }

    /** This payload, with a verdict claim that it exits with {@code status} (a signal or a timeout fails the claim). */
    public Payload expectExit(int status) {
        return new Payload(binary, args, Optional.of(status));
    }

    /** Where a {@link #binary} lives in the guest. */
    String guestBinaryPath() {
        return "/bin/jktstr-payload-" + binary.orElseThrow().getFileName();
    }

    /** The argv the guest runs. */
    List<String> guestArgv() {
        if (binary.isEmpty()) {
            return args;
        }
        List<String> argv = new ArrayList<>();
        argv.add(guestBinaryPath());
        argv.addAll(args);
        return argv;
    }

    /** The command as one line, for reports ({@code sh -c 'echo hi'}, {@code ./probe --fast}); not for a shell. */
    public String describe() {
        List<String> words = new ArrayList<>();
        binary.ifPresent(b -> words.add(b.toString()));
        for (String a : args) {
            words.add(a.matches("[A-Za-z0-9_./=:,+-]+") ? a : GuestShell.quote(a));
        }
        return String.join(" ", words) + expectedExit.map(e -> " (expecting exit " + e + ")").orElse("");
    }

    @Override
    public String toString() {
        return describe();
    }
}
