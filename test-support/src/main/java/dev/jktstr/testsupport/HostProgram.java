package dev.jktstr.testsupport;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The oracle and helper programs tests run (bpftool, iasl, gcc, objdump, qemu-system-x86_64): found on
 * {@code PATH}, then in {@code /usr/sbin} and {@code /sbin} (where Debian puts bpftool for non-root users).
 * {@code scripts/install-deps.sh} installs them all; a test without one skips naming the package.
 */
public final class HostProgram {

    private HostProgram() {
    }

    /** The executable, if found. */
    public static Optional<Path> find(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return Optional.of(Path.of(dir, program));
            }
        }
        for (String dir : new String[] {"/usr/sbin", "/sbin"}) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return Optional.of(Path.of(dir, program));
            }
        }
        return Optional.empty();
    }

    public static boolean present(String program) {
        return find(program).isPresent();
    }

    /** The executable, or a skip that says how to get it, e.g. {@code require("iasl", "apt-get install acpica-tools")}. */
    public static Path require(String program, String howToGet) {
        Optional<Path> p = find(program);
        assumeTrue(p.isPresent(), program + " not found on PATH: " + howToGet);
        return p.get();
    }
}
