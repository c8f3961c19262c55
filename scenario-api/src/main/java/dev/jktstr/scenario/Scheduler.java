package dev.jktstr.scenario;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** The scheduler a VM runs: the kernel's own ({@link #eevdf()}) or a sched_ext binary started in the guest. */
public sealed interface Scheduler {

    static Scheduler eevdf() {
        return Eevdf.INSTANCE;
    }

    /** A sched_ext scheduler binary (static, it is copied into the guest) and its arguments. */
    static Scheduler binary(Path binary, String... args) {
        return new Binary(binary, List.of(args));
    }

    /** {@code eevdf} or a path to a binary. */
    static Scheduler parse(String text) {
        if (text.equalsIgnoreCase("eevdf")) {
            return eevdf();
        }
        return binary(Path.of(text));
    }

    /** Short name for reports: {@code eevdf}, or the binary's file name. */
    String name();

    /** The kernel's own fair scheduler: no sched_ext scheduler is attached. */
    record Eevdf() implements Scheduler {
        static final Eevdf INSTANCE = new Eevdf();

        @Override
        public String name() {
            return "eevdf";
        }

        @Override
        public String toString() {
            return "eevdf";
        }
    }

    record Binary(Path path, List<String> args) implements Scheduler {
        public Binary {
            Objects.requireNonNull(path, "path");
            args = List.copyOf(args);
        }

        @Override
        public String name() {
            return path.getFileName().toString();
        }

        /** Where the binary lives in the guest. */
        public String guestPath() {
            return "/bin/" + name();
        }

        void validate() {
            validate("scheduler");
        }

        /**
         * Rejects, naming {@code field}, a missing binary, one that cannot run in the guest and an unusable name
         * ({@link GuestBinary#check}). Nothing boots: this is what keeps a bad file from costing a boot.
         */
        void validate(String field) {
            GuestBinary.check(path, field, "scheduler binary", Long.MAX_VALUE);
        }
    }
}
