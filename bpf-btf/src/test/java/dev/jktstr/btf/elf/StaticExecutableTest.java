package dev.jktstr.btf.elf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.testsupport.TinyElf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What may run in a bare guest: static x86-64 ELF executables only, and what every other file is said to be. */
class StaticExecutableTest {
    @TempDir
    Path dir;

    private Path file(String name, byte[] bytes) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private String problem(byte[] bytes) throws Exception {
        return StaticExecutable.problem(file("f", bytes)).orElse("static");
    }

    @Test
    void aHandMadeStaticExecutableQualifiesAndRuns() throws Exception {
        Path exe = file("exe", TinyElf.exiting(7, "hello from a tiny ELF\n"));
        assertThat(StaticExecutable.problem(exe)).isEmpty();
        // the fixture is a real program: the host runs it (it is what the CLI tests start in a guest)
        Process p = new ProcessBuilder(exe.toString()).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(7);
        assertThat(new String(p.getErrorStream().readAllBytes())).isEqualTo("hello from a tiny ELF\n");
    }

    @Test
    void everythingElseIsNamed() throws Exception {
        assertThat(problem(new byte[0])).isEqualTo("an empty file");
        assertThat(problem("#!/bin/sh\necho hi\n".getBytes())).isEqualTo("a script (#!/bin/sh)");
        assertThat(problem(new byte[] {(byte) 0x91, 0x2a, 0x3f, 0, 1, 2, 3, 4, 5, 6}))
                .isEqualTo("not an ELF file (it starts with 91 2a 3f 00 01 02 03 04)");
        assertThat(problem(TinyElf.dynamic("/lib64/ld-linux-x86-64.so.2")))
                .isEqualTo("a dynamically linked x86-64 ELF (interpreter /lib64/ld-linux-x86-64.so.2)");
        assertThat(problem(TinyElf.build(0, "", null, true, Elf.ET_DYN, Elf.EM_X86_64))).contains("needs shared libraries");
        assertThat(problem(TinyElf.build(0, "", null, false, Elf.ET_DYN, Elf.EM_X86_64))).isEqualTo("static"); // static-pie
        assertThat(problem(TinyElf.build(0, "", null, false, Elf.ET_EXEC, Elf.EM_AARCH64)))
                .isEqualTo("a 64-bit ELF for AArch64, not x86-64");
        assertThat(problem(TinyElf.build(0, "", null, false, Elf.ET_REL, Elf.EM_X86_64))).contains("relocatable object");
        byte[] elf32 = TinyElf.exiting(0, "");
        elf32[4] = 1;
        elf32[18] = 3;
        assertThat(problem(elf32)).isEqualTo("a 32-bit ELF (ELFCLASS32) for i386");
        byte[] bigEndian = TinyElf.exiting(0, "");
        bigEndian[5] = 2;
        assertThat(problem(bigEndian)).startsWith("a big-endian ELF");
        byte[] truncated = java.util.Arrays.copyOf(TinyElf.exiting(0, ""), 100); // program header cut off
        assertThat(problem(truncated)).startsWith("a malformed ELF file (");
        assertThat(problem(java.util.Arrays.copyOf(TinyElf.exiting(0, ""), 40))).startsWith("a truncated ELF file");
    }

    /** Real files on this machine, where there are any: busybox-static and the shared schedulers are static. */
    @Test
    void realFiles() throws Exception {
        for (Path p : List.of(Path.of("/bin/busybox"), Path.of("../shared/schedulers/scx_simple"))) {
            Path f = p.isAbsolute() ? p : Path.of(System.getProperty("jktstr.repo.root", ".")).resolve(p).normalize();
            if (Files.isRegularFile(f) && Files.isReadable(f)) {
                assertThat(StaticExecutable.problem(f)).as(f.toString()).isEmpty();
            }
        }
        for (Path dynamic : List.of(Path.of("/usr/bin/env"), Path.of("/usr/bin/ls"))) {
            if (Files.isRegularFile(dynamic)) {
                assertThat(StaticExecutable.problem(dynamic)).as(dynamic.toString()).hasValueSatisfying(
                        s -> assertThat(s).startsWith("a dynamically linked x86-64 ELF (interpreter /lib"));
            }
        }
    }
}
