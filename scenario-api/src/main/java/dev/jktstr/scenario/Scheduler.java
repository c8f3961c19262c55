package dev.jktstr.scenario;

import dev.jktstr.btf.elf.StaticExecutable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
         * Rejects, naming {@code field}, a missing binary, one that cannot run in the guest (anything but a statically
         * linked x86-64 ELF: a script, a dynamic executable, another architecture — {@link StaticExecutable}) and an
         * unusable name. Nothing boots: this is what keeps a bad file from costing a boot.
         */
        void validate(String field) {
            if (!Files.isRegularFile(path)) {
                throw new InvalidScenarioException(field, "no scheduler binary at " + path);
            }
            Optional<String> problem;
            try {
                problem = StaticExecutable.problem(path);
            } catch (IOException e) {
                throw new InvalidScenarioException(field, "cannot read scheduler binary " + path + ": " + e.getMessage());
            }
            if (problem.isPresent()) {
                throw new InvalidScenarioException(field, path + " " + StaticExecutable.REQUIREMENT + " (the guest has no"
                        + " dynamic loader or libraries); it is " + problem.get());
            }
            if (!name().matches("[A-Za-z0-9_.+-]{1,64}")) {
                throw new InvalidScenarioException(field, "unusable binary name '" + name() + "'");
            }
        }
    }
}
