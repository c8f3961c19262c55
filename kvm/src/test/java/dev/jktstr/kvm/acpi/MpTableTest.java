package dev.jktstr.kvm.acpi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.kvm.TopologyEncodingException;
import dev.jktstr.kvm.x86.ApicIdLayout;
import dev.jktstr.kvm.x86.X86Layout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MpTableTest {

    @Test
    void floatingPointerAndConfigurationTableParseBack() {
        ApicIdLayout t = ApicIdLayout.of(2, 2, 3, 2);
        FirmwareTable mp = MpTable.build(t);
        byte[] b = mp.bytes();
        ByteBuffer le = AcpiTablesTest.le(b);
        assertThat(mp.address()).isEqualTo(X86Layout.MPTABLE_ADDRESS);
        assertThat(new String(b, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("_MP_");
        assertThat(ByteWriter.sum(b, 0, 16)).isZero();
        assertThat(le.getInt(4)).isEqualTo((int) mp.address() + 16);
        int config = 16;
        assertThat(new String(b, config, 4, StandardCharsets.US_ASCII)).isEqualTo("PCMP");
        int length = le.getShort(config + 4) & 0xFFFF;
        assertThat(config + length).isEqualTo(b.length);
        assertThat(ByteWriter.sum(b, config, config + length)).isZero();
        assertThat(le.getInt(config + 36)).isEqualTo((int) X86Layout.LOCAL_APIC_ADDRESS);
        int count = le.getShort(config + 34);

        List<Integer> cpuApicIds = new ArrayList<>();
        int ioapicId = -1;
        int ioInterrupts = 0;
        int localInterrupts = 0;
        int off = config + MpTable.HEADER_LENGTH;
        for (int i = 0; i < count; i++) {
            int type = b[off];
            switch (type) {
                case MpTable.TYPE_PROCESSOR -> {
                    cpuApicIds.add(b[off + 1] & 0xFF);
                    assertThat(b[off + 3] & 1).isEqualTo(1);
                    assertThat(b[off + 3] & 2).isEqualTo(cpuApicIds.size() == 1 ? 2 : 0);
                    off += 20;
                }
                case MpTable.TYPE_BUS -> {
                    assertThat(new String(b, off + 2, 6, StandardCharsets.US_ASCII)).isEqualTo("ISA   ");
                    off += 8;
                }
                case MpTable.TYPE_IOAPIC -> {
                    ioapicId = b[off + 1] & 0xFF;
                    assertThat(le.getInt(off + 4)).isEqualTo((int) X86Layout.IOAPIC_ADDRESS);
                    off += 8;
                }
                case MpTable.TYPE_IO_INTERRUPT -> {
                    assertThat(b[off + 6] & 0xFF).isEqualTo(ioapicId);
                    if (b[off + 1] == MpTable.INT && b[off + 5] == 0) {
                        assertThat(b[off + 7]).as("IRQ 0 on pin 2").isEqualTo((byte) 2);
                    }
                    ioInterrupts++;
                    off += 8;
                }
                case MpTable.TYPE_LOCAL_INTERRUPT -> {
                    localInterrupts++;
                    off += 8;
                }
                default -> throw new AssertionError("unknown MP entry type " + type);
            }
        }
        assertThat(off).isEqualTo(b.length);
        List<Integer> expected = new ArrayList<>();
        for (int cpu = 0; cpu < t.cpuCount(); cpu++) {
            expected.add(t.apicId(cpu));
        }
        assertThat(cpuApicIds).isEqualTo(expected);
        assertThat(ioapicId).isEqualTo(t.maxApicId() + 1);
        assertThat(ioInterrupts).isEqualTo(1 + 15);
        assertThat(localInterrupts).isEqualTo(2);
    }

    @Test
    void apicIdsBeyond8BitsCannotBeDescribed() {
        assertThatThrownBy(() -> MpTable.build(ApicIdLayout.of(3, 5, 5, 3)))
                .isInstanceOf(TopologyEncodingException.class).hasMessageContaining("8-bit");
        assertThatThrownBy(() -> MpTable.build(ApicIdLayout.of(1, 1, 1, 1), 0xF0008, 0x100000))
                .isInstanceOf(TopologyEncodingException.class).hasMessageContaining("aligned");
    }
}
