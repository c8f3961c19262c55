package dev.jktstr.scenario;

import java.util.Optional;

/**
 * What the guest's cgroupfs says after a {@link CgroupKnob} was written: the file's content read back from inside the
 * guest ({@code held}, sanitized, at most 4 KiB), or why there was nothing to write to. Exactly one of: applied as
 * written, applied but rounded (the kernel holds something else, e.g. memory sizes rounded down to pages), refused
 * (the write failed: {@code error} is the kernel's error text, the file still holds its old value), missing (the
 * kernel lacks the file: the controller is not built in or not available to the cgroup).
 */
record KnobReadback(String cgroup, CgroupKnob knob, Status status, String held, Optional<String> error) {

    enum Status { AS_WRITTEN, ROUNDED, REFUSED, MISSING }

    /** One line for notes and errors: {@code cg_0 memory.max = 1000000: the kernel holds 999424}. */
    String describe() {
        String set = cgroup + " " + knob.file() + " = " + knob.value();
        return switch (status) {
            case AS_WRITTEN -> set + ": verified (the kernel holds " + held + ")";
            case ROUNDED -> set + ": the kernel holds " + held + " (rounded or adjusted)";
            case REFUSED -> set + ": refused by the kernel (" + error.orElse("write failed") + "); it holds " + held;
            case MISSING -> set + ": the guest kernel has no " + knob.file() + " (needs the " + knob.controller()
                    + " controller with " + knob.kernelOption() + "; available controllers: " + error.orElse("?") + ")";
        };
    }
}
