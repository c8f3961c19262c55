package dev.jktstr.cli;

import dev.jktstr.btf.Btf;
import dev.jktstr.btf.BtfField;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jktstr btf}: kernel type information from raw BTF, an ELF file or a bzImage. */
@Command(name = "btf", mixinStandardHelpOptions = true,
        description = "Reads BTF from raw BTF (/sys/kernel/btf/vmlinux), an ELF file (.BTF) or an x86 bzImage.",
        subcommands = {BtfCommand.Dump.class, BtfCommand.Field.class})
final class BtfCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    enum Format { raw, c }

    /** The BTF a subcommand reads: FILE, and its base when FILE is split (module) BTF. */
    static final class BtfInput {
        @Parameters(index = "0", paramLabel = "FILE", description = "raw BTF, ELF with .BTF, or bzImage")
        Path file;

        @Option(names = "--base", paramLabel = "BASE", description = "base BTF when FILE is split (module) BTF")
        Path base;

        /** Opens FILE (on BASE), runs {@code action}, and closes both. */
        <T> T with(java.util.function.Function<Btf, T> action) {
            if (base == null) {
                try (Btf btf = Btf.load(file)) {
                    return action.apply(btf);
                }
            }
            try (Btf baseBtf = Btf.load(base); Btf btf = Btf.load(file, baseBtf)) {
                return action.apply(btf);
            }
        }
    }

    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = {"Prints every type, as `bpftool btf dump file FILE format raw|c` does.",
                "--format c writes a compilable vmlinux.h-style header."})
    static final class Dump implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        BtfInput input;

        @Option(names = "--format", defaultValue = "raw", description = "raw or c (default: ${DEFAULT-VALUE})")
        Format format;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try {
                return input.with(btf -> {
                    try {
                        if (format == Format.c) {
                            btf.dumpC(out);
                        } else {
                            btf.dumpRaw(out);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return 0;
                });
            } finally {
                out.flush();
            }
        }
    }

    @Command(name = "field", mixinStandardHelpOptions = true,
            description = {"Prints where a field lies: offset and size in bytes, bitfield position, C type.",
                "PATH starts with a type: task_struct.se.sum_exec_runtime, rq.scx.local_dsq.nr, rq[3].nr_running."})
    static final class Field implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        BtfInput input;

        @Parameters(index = "1", paramLabel = "PATH", description = "TYPE.member[.member|[index]]...")
        String path;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            // describe() reads type names from the BTF: print while it is open
            String line = input.with(btf -> {
                BtfField f = btf.fieldPath(path);
                return f.path() + ": " + f.describe();
            });
            out.println(line);
            out.flush();
            return 0;
        }
    }
}
