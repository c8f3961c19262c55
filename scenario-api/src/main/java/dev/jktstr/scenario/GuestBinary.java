package dev.jktstr.scenario;

import dev.jktstr.btf.elf.StaticExecutable;
import dev.jktstr.guest.AgentClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A user's program that runs in the guest (a sched_ext scheduler, a {@link WorkType#custom} body, a
 * {@link Payload#binary}): checked on the host before anything boots, copied in through the agent. The guest has no
 * dynamic loader or libraries, so only a statically linked x86-64 ELF ({@link StaticExecutable}) can run there.
 */
final class GuestBinary {
    /** The largest binary copied into a guest (but schedulers, which come in the image). */
    static final long MAX_BYTES = 64L << 20;

    private GuestBinary() {
    }

    /**
     * Rejects, naming {@code field}, a missing file ({@code "no " + what + " at " + file}), one that cannot run in the
     * guest (a script, a dynamic executable, another architecture: saying what it is), one over {@code maxBytes}, and
     * a file name that is not a plain word (the guest path is made from it).
     */
    static void check(Path file, String field, String what, long maxBytes) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidScenarioException(field, "no " + what + " at " + file);
        }
        Optional<String> problem;
        try {
            problem = StaticExecutable.problem(file);
            if (Files.size(file) > maxBytes) {
                throw new InvalidScenarioException(field, file + " is larger than " + (maxBytes >> 20) + " MiB");
            }
        } catch (IOException e) {
            throw new InvalidScenarioException(field, "cannot read " + what + " " + file + ": " + e.getMessage());
        }
        if (problem.isPresent()) {
            throw new InvalidScenarioException(field, file + " " + StaticExecutable.REQUIREMENT
                    + " (the guest has no dynamic loader or libraries); it is " + problem.get());
        }
        if (!file.getFileName().toString().matches("[A-Za-z0-9_.+-]{1,64}")) {
            throw new InvalidScenarioException(field, "unusable binary name '" + file.getFileName() + "'");
        }
    }

    /**
     * Binaries of a scenario by guest path: a second, different host file for a path already taken is refused
     * (the guest would hold only one of them).
     */
    static void claim(Map<String, Path> taken, String guestPath, Path file, String field) {
        Path host = file.toAbsolutePath().normalize();
        Path before = taken.putIfAbsent(guestPath, host);
        if (before != null && !before.equals(host)) {
            throw new InvalidScenarioException(field, "two different binaries would be " + guestPath + " in the guest ("
                    + before + ", " + host + "); give one another file name");
        }
    }

    /** Copies {@code file} to {@code guestPath} (mode 0755); the bytes are read now. */
    static void upload(AgentClient agent, Path file, String guestPath, Duration timeout) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ScenarioException("reading " + file + ": " + e.getMessage(), e);
        }
        agent.writeFile(guestPath, bytes, 0755, timeout);
    }
}
