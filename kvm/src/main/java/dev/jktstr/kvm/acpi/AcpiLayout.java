package dev.jktstr.kvm.acpi;

import dev.jktstr.kvm.TopologyEncodingException;
import dev.jktstr.kvm.x86.ApicIdLayout;
import dev.jktstr.kvm.x86.X86Layout;
import dev.jktstr.machine.MachineSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds and lays out the ACPI tables for a topology: DSDT, FADT, MADT, SRAT and SLIT one after the
 * other (16-byte aligned) from {@link Builder#tablesAddress}, then the XSDT pointing at all but the
 * DSDT (the FADT points at that), and the RSDP at its own address pointing at the XSDT.
 *
 * <pre>{@code
 * AcpiTables acpi = AcpiLayout.builder(ApicIdLayout.of(spec.topology()))
 *         .memory(MemoryAffinity.contiguous(nodes, bytesPerNode))
 *         .distances(spec.effectiveDistances())
 *         .build();                       // or AcpiLayout.builder(spec).build()
 * }</pre>
 */
public final class AcpiLayout {

    private static final int ALIGN = 16;

    private AcpiLayout() {
    }

    public static Builder builder(ApicIdLayout topology) {
        return new Builder(topology);
    }

    /** A builder preset from a spec: its topology, RAM per node from address 0 and NUMA distances. */
    public static Builder builder(MachineSpec spec) {
        ApicIdLayout topology = ApicIdLayout.of(spec.topology());
        return new Builder(topology)
                .memory(MemoryAffinity.contiguous(topology.numaNodes(), spec.memoryPerNodeMib() << 20))
                .distances(spec.effectiveDistances());
    }

    public static final class Builder {
        private final ApicIdLayout topology;
        private List<MemoryAffinity> memory;
        private List<List<Integer>> distances;
        private List<AcpiDevice> devices = List.of();
        private OemIds oem = OemIds.JKTSTR;
        private long rsdpAddress = X86Layout.ACPI_RSDP_ADDRESS;
        private long tablesAddress = X86Layout.ACPI_TABLES_ADDRESS;
        private long tablesEnd = X86Layout.ACPI_TABLES_END;

        private Builder(ApicIdLayout topology) {
            this.topology = Objects.requireNonNull(topology, "topology");
        }

        /** RAM ranges per node; default {@link MemoryAffinity#contiguous} with 256 MiB per node. */
        public Builder memory(List<MemoryAffinity> ranges) {
            this.memory = List.copyOf(ranges);
            return this;
        }

        /** The NUMA distance matrix; default {@link Slit#defaultDistances}. */
        public Builder distances(List<List<Integer>> matrix) {
            this.distances = List.copyOf(matrix);
            return this;
        }

        /** The platform devices the DSDT declares (serial ports, virtio-mmio windows); default none. */
        public Builder devices(List<AcpiDevice> platformDevices) {
            this.devices = List.copyOf(platformDevices);
            return this;
        }

        public Builder oem(OemIds ids) {
            this.oem = Objects.requireNonNull(ids, "oem");
            return this;
        }

        public Builder rsdpAddress(long address) {
            this.rsdpAddress = address;
            return this;
        }

        /** Where the tables go: {@code [start, end)}, which must not contain the RSDP. */
        public Builder tablesRange(long start, long end) {
            this.tablesAddress = start;
            this.tablesEnd = end;
            return this;
        }

        public AcpiTables build() {
            if (rsdpAddress % ALIGN != 0 || tablesAddress % ALIGN != 0) {
                throw new TopologyEncodingException("ACPI addresses must be 16-byte aligned: RSDP 0x"
                        + Long.toHexString(rsdpAddress) + ", tables 0x" + Long.toHexString(tablesAddress));
            }
            if (rsdpAddress + Rsdp.LENGTH > tablesAddress && rsdpAddress < tablesEnd) {
                throw new TopologyEncodingException("the RSDP at 0x" + Long.toHexString(rsdpAddress)
                        + " overlaps the ACPI table range");
            }
            List<MemoryAffinity> ranges = memory != null ? memory
                    : MemoryAffinity.contiguous(topology.numaNodes(), 256L << 20);
            List<List<Integer>> matrix = distances != null ? distances : Slit.defaultDistances(topology.numaNodes());
            if (matrix.size() != topology.numaNodes()) {
                throw new TopologyEncodingException("the distance matrix has " + matrix.size() + " rows for "
                        + topology.numaNodes() + " nodes");
            }

            List<FirmwareTable> tables = new ArrayList<>();
            long next = tablesAddress;
            long dsdtAddress = next;
            byte[] dsdt = Dsdt.build(topology, devices, oem);
            next = place(tables, "DSDT", next, dsdt);
            List<Long> xsdtEntries = new ArrayList<>();
            xsdtEntries.add(next);
            next = place(tables, "FACP", next, Fadt.build(dsdtAddress, oem));
            xsdtEntries.add(next);
            next = place(tables, "APIC", next, Madt.build(topology, oem));
            xsdtEntries.add(next);
            next = place(tables, "SRAT", next, Srat.build(topology, ranges, oem));
            xsdtEntries.add(next);
            next = place(tables, "SLIT", next, Slit.build(matrix, oem));
            long xsdtAddress = next;
            place(tables, "XSDT", next, Xsdt.build(xsdtEntries, oem));
            tables.add(0, new FirmwareTable("RSDP", rsdpAddress, Rsdp.build(xsdtAddress, oem)));
            return new AcpiTables(rsdpAddress, tables);
        }

        private long place(List<FirmwareTable> tables, String signature, long address, byte[] bytes) {
            long end = address + bytes.length;
            if (end > tablesEnd) {
                throw new TopologyEncodingException(String.format(
                        "ACPI tables for topology %s need more than the %d bytes at 0x%x-0x%x (%s ends at 0x%x); "
                                + "give a larger range with tablesRange()",
                        topology, tablesEnd - tablesAddress, tablesAddress, tablesEnd, signature, end));
            }
            tables.add(new FirmwareTable(signature, address, bytes));
            return (end + ALIGN - 1) & -ALIGN;
        }
    }
}
