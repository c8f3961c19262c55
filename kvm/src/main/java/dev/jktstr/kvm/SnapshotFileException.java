package dev.jktstr.kvm;

import java.nio.file.Path;

/**
 * A snapshot file that cannot be restored here: not a snapshot, another format version, a VM of another shape
 * (topology, memory, vCPU state KVM moves), truncated or inconsistent. The message names the file and what is wrong.
 */
public class SnapshotFileException extends KvmException {

    private final Path file;

    public SnapshotFileException(Path file, String problem) {
        super("snapshot " + file + ": " + problem);
        this.file = file;
    }

    public SnapshotFileException(Path file, String problem, Throwable cause) {
        super("snapshot " + file + ": " + problem, cause);
        this.file = file;
    }

    /** The file that was refused. */
    public Path file() {
        return file;
    }
}
