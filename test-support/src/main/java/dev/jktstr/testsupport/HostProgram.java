package dev.jktstr.testsupport;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.machine.HostTools;
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

    private static final HostTools TOOLS = HostTools.onPath().withExtraDirs(Path.of("/usr/sbin"), Path.of("/sbin"));

    /** The executable, if found ({@link HostTools}' lookup: the one the main code uses). */
    public static Optional<Path> find(String program) {
        return TOOLS.find(program);
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
