package dev.jktstr.machine;

/** A guest-physical access fell outside guest RAM (a hole, or past the end). */
public final class GuestMemoryException extends MachineException {

    private final long gpa;
    private final long length;

    public GuestMemoryException(long gpa, long length, String why) {
        super(String.format("guest-physical access [0x%x, +%d) %s", gpa, length, why));
        this.gpa = gpa;
        this.length = length;
    }

    public long gpa() {
        return gpa;
    }

    public long length() {
        return length;
    }
}
