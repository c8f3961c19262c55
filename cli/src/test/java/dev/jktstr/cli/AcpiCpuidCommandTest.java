package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.kvm.acpi.AcpiLayout;
import dev.jktstr.kvm.acpi.MemoryAffinity;
import dev.jktstr.kvm.x86.ApicIdLayout;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AcpiCpuidCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Jktstr.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void acpiWritesEveryTableAsARawFile() throws Exception {
        assertThat(run("acpi", "--topology", "2,2,2,2", "--out", dir.toString(), "--memory", "512",
                "--distances", "10,15;15,10")).as(err.toString()).isZero();
        ApicIdLayout t = ApicIdLayout.of(2, 2, 2, 2);
        var expected = AcpiLayout.builder(t).memory(MemoryAffinity.contiguous(2, 512L << 20))
                .distances(List.of(List.of(10, 15), List.of(15, 10))).build();
        for (String sig : List.of("RSDP", "XSDT", "FACP", "DSDT", "APIC", "SRAT", "SLIT")) {
            assertThat(Files.readAllBytes(dir.resolve(sig + ".dat"))).as(sig).isEqualTo(expected.table(sig).bytes());
        }
        assertThat(dir.resolve("MPTABLE.bin")).exists();
        assertThat(out.toString()).contains("APIC.dat").contains("iasl -d");
    }

    @Test
    void acpiBeyondApicId254SkipsTheMpTableAndSaysWhy() {
        assertThat(run("acpi", "--topology", "2,4,16,2", "--out", dir.toString())).as(err.toString()).isZero();
        assertThat(dir.resolve("APIC.dat")).exists();
        assertThat(dir.resolve("MPTABLE.bin")).doesNotExist();
        assertThat(out.toString()).contains("no MPTABLE.bin").contains("8-bit").contains("x2APIC");
    }

    @Test
    void cpuidDecodesEveryVcpuBack() {
        assertThat(run("cpuid", "--topology", "2,4,16,2")).as(out.toString()).isZero();
        String text = out.toString();
        assertThat(text).contains("256 vCPUs").contains("x2APIC").doesNotContain("MISMATCH")
                .contains("all 256 vCPUs decode back to their place");
        // The last vCPU: node 1, LLC 3, core 15, thread 1, APIC id 0xff.
        assertThat(text).containsPattern("\\n\\s+255\\s+0xff\\s+1\\s+3\\s+15\\s+1\\s+0x1F");
        out.getBuffer().setLength(0);
        assertThat(run("cpuid", "--topology", "1,3,3,3", "--vendor", "AMD")).isZero();
        assertThat(out.toString()).contains("amd template").contains("all 27 vCPUs");
    }

    @Test
    void badTopologiesAreOneLineUserErrors() {
        assertThat(run("cpuid", "--topology", "2,4")).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(err.toString()).startsWith("jktstr cpuid: ").contains("N,L,C,T");
        err.getBuffer().setLength(0);
        assertThat(run("acpi", "--topology", "8,8,8,4", "--out", dir.toString())).isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(err.toString()).contains("at most 1024").doesNotContain("Exception");
        err.getBuffer().setLength(0);
        assertThat(run("acpi", "--topology", "2,1,1,1", "--out", dir.toString(), "--distances", "10,5;5,10"))
                .isEqualTo(UserErrorHandler.USER_ERROR);
        assertThat(err.toString()).contains("11..254");
    }
}
