package dev.jktstr.kvm.acpi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.kvm.TopologyEncodingException;
import dev.jktstr.kvm.x86.ApicIdLayout;
import dev.jktstr.kvm.x86.X86Layout;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AcpiTablesTest {

    private final AcpiTables acpi = AcpiLayout.builder(ApicIdLayout.of(2, 2, 2, 2)).build();

    @Test
    void everyTableHasAValidHeaderAndChecksum() {
        assertThat(acpi.tables()).extracting(FirmwareTable::signature)
                .containsExactly("RSDP", "DSDT", "FACP", "APIC", "SRAT", "SLIT", "XSDT");
        for (FirmwareTable t : acpi.tables()) {
            byte[] b = t.bytes();
            if (t.signature().equals("RSDP")) {
                continue;
            }
            assertThat(new String(b, 0, 4, StandardCharsets.US_ASCII)).isEqualTo(t.signature());
            assertThat(le(b).getInt(4)).as(t.signature() + " length").isEqualTo(b.length);
            assertThat(ByteWriter.sum(b, 0, b.length)).as(t.signature() + " checksum").isZero();
            assertThat(new String(b, 10, 6, StandardCharsets.US_ASCII)).isEqualTo("JKTSTR");
            assertThat(t.address() % 16).isZero();
        }
    }

    @Test
    void rsdpLeadsToXsdtWhichLeadsToTheTables() {
        FirmwareTable rsdp = acpi.table("RSDP");
        byte[] b = rsdp.bytes();
        assertThat(rsdp.address()).isEqualTo(X86Layout.ACPI_RSDP_ADDRESS).isEqualTo(acpi.rsdpAddress());
        assertThat(new String(b, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("RSD PTR ");
        assertThat(ByteWriter.sum(b, 0, 20)).isZero();
        assertThat(ByteWriter.sum(b, 0, 36)).isZero();
        assertThat(b[15]).isEqualTo((byte) 2);
        assertThat(le(b).getInt(20)).isEqualTo(36);
        assertThat(le(b).getLong(24)).isEqualTo(acpi.table("XSDT").address());

        byte[] xsdt = acpi.table("XSDT").bytes();
        List<Long> pointers = new ArrayList<>();
        for (int off = 36; off < xsdt.length; off += 8) {
            pointers.add(le(xsdt).getLong(off));
        }
        assertThat(pointers).containsExactly(acpi.table("FACP").address(), acpi.table("APIC").address(),
                acpi.table("SRAT").address(), acpi.table("SLIT").address());

        byte[] fadt = acpi.table("FACP").bytes();
        assertThat(fadt).hasSize(Fadt.LENGTH);
        assertThat(le(fadt).getInt(40)).isEqualTo((int) acpi.table("DSDT").address());
        assertThat(le(fadt).getLong(140)).isEqualTo(acpi.table("DSDT").address());
        assertThat(le(fadt).getInt(112) & Fadt.FLAG_HW_REDUCED_ACPI).isNotZero();
    }

    @Test
    void tablesDoNotOverlapAndStayInTheirRange() {
        long end = 0;
        for (FirmwareTable t : acpi.tables().subList(1, acpi.tables().size())) {
            assertThat(t.address()).isGreaterThanOrEqualTo(Math.max(end, X86Layout.ACPI_TABLES_ADDRESS));
            end = t.address() + t.length();
        }
        assertThat(end).isLessThanOrEqualTo(X86Layout.ACPI_TABLES_END);
    }

    @Test
    void tooManyCpusForTheRangeNamesTheLimit() {
        assertThatThrownBy(() -> AcpiLayout.builder(ApicIdLayout.of(2, 4, 16, 2)).tablesRange(0xE0040, 0xE1000).build())
                .isInstanceOf(TopologyEncodingException.class).hasMessageContaining("tablesRange");
        // 1024 vCPUs outgrow the 64 KiB below the MP table; a VMM gives them a range of their own.
        ApicIdLayout big = ApicIdLayout.of(4, 4, 16, 4);
        assertThatThrownBy(() -> AcpiLayout.builder(big).build()).isInstanceOf(TopologyEncodingException.class);
        AcpiTables high = AcpiLayout.builder(big).tablesRange(0x7FF0_0000L, 0x8000_0000L).build();
        assertThat(high.table("XSDT").address()).isGreaterThan(0x7FF0_0000L);
    }

    @Test
    void badDistancesAndMemoryAreRejected() {
        ApicIdLayout t = ApicIdLayout.of(2, 1, 1, 1);
        assertThatThrownBy(() -> AcpiLayout.builder(t).distances(List.of(List.of(10, 5), List.of(5, 10))).build())
                .isInstanceOf(TopologyEncodingException.class).hasMessageContaining("11..254");
        assertThatThrownBy(() -> AcpiLayout.builder(t).distances(List.of(List.of(10))).build())
                .isInstanceOf(TopologyEncodingException.class).hasMessageContaining("rows");
        assertThatThrownBy(() -> AcpiLayout.builder(t).memory(List.of(new MemoryAffinity(0, 1 << 20, 0))).build())
                .isInstanceOf(TopologyEncodingException.class).hasMessageContaining("node 1 has no memory");
        assertThatThrownBy(() -> AcpiLayout.builder(t).rsdpAddress(0xE0041).build())
                .isInstanceOf(TopologyEncodingException.class).hasMessageContaining("aligned");
        assertThatThrownBy(() -> AcpiLayout.builder(t).rsdpAddress(0xE0100).build())
                .isInstanceOf(TopologyEncodingException.class).hasMessageContaining("overlaps");
    }

    @Test
    void aMachineSpecPresetsTopologyMemoryAndDistances() {
        MachineSpec spec = MachineSpec.builder(Path.of("/nonexistent/bzImage"))
                .topology(new Topology(2, 1, 2, 1)).memoryPerNodeMib(512)
                .distances(List.of(List.of(10, 32), List.of(32, 10))).build();
        AcpiTables fromSpec = AcpiLayout.builder(spec).build();
        AcpiTables explicit = AcpiLayout.builder(ApicIdLayout.of(2, 1, 2, 1))
                .memory(List.of(new MemoryAffinity(0, 512L << 20, 0), new MemoryAffinity(512L << 20, 512L << 20, 1)))
                .distances(List.of(List.of(10, 32), List.of(32, 10))).build();
        assertThat(fromSpec).isEqualTo(explicit);
    }

    @Test
    void memoryIsLaidOutAroundTheMmioHole() {
        List<MemoryAffinity> ranges = MemoryAffinity.contiguous(2, 2L << 30);
        assertThat(ranges).containsExactly(
                new MemoryAffinity(0, 2L << 30, 0),
                new MemoryAffinity(2L << 30, 1L << 30, 1),
                new MemoryAffinity(4L << 30, 1L << 30, 1));
    }

    @Test
    void dsdtHasOneProcessorDevicePerCpu() {
        byte[] dsdt = acpi.table("DSDT").bytes();
        String text = new String(dsdt, StandardCharsets.ISO_8859_1);
        assertThat(text.split("ACPI0007", -1)).hasSize(17);
        assertThat(text).contains("C00F").doesNotContain("C010").contains("_S5_");
    }

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }
}
