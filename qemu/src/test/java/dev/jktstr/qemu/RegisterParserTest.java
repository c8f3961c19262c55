package dev.jktstr.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.machine.MachineException;
import dev.jktstr.machine.VcpuRegisters;
import org.junit.jupiter.api.Test;

class RegisterParserTest {

    /** A QEMU 7.2 {@code info registers} dump of an idle x86-64 guest CPU (trimmed). */
    private static final String DUMP = """
            RAX=0000000000000000 RBX=0000000000000001 RCX=0000000000000000 RDX=0000000000000000
            RSI=0000000000000083 RDI=0000000000000000 RBP=ffffffffa5203e38 RSP=ffffffffa5203e18
            R8 =0000000000000001 R9 =0000000000000000 R10=0000000000000001 R11=0000000000000000
            R12=0000000000000000 R13=0000000000000000 R14=0000000000000000 R15=0000000000000000
            RIP=ffffffffa4f6b8ab RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1
            ES =0000 0000000000000000 00000000 00000000
            CS =0010 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 [-RA]
            FS =0000 0000000000000000 00000000 00000000
            GS =0000 ffff8f67bec00000 00000000 00000000
            LDT=0000 0000000000000000 00000000 00008200 DPL=0 LDT
            TR =0040 fffffe7f24e0a000 00004087 00008900 DPL=0 TSS64-avl
            GDT=     fffffe7f24e08000 0000007f
            IDT=     fffffe0000000000 00000fff
            CR0=80050033 CR2=00007f4ab7e15000 CR3=0000000004d4a000 CR4=00350ef0
            DR0=0000000000000000 DR1=0000000000000000 DR2=0000000000000000 DR3=0000000000000000
            DR6=00000000ffff0ff0 DR7=0000000000000400
            EFER=0000000000000d01
            XMM00=0000000000000000000000000000ffff XMM01=00000000000000000000000000000000
            """;

    @Test
    void parsesGeneralControlAndSegmentRegisters() {
        VcpuRegisters r = RegisterParser.parse(3, DUMP);
        assertThat(r.cpu()).isEqualTo(3);
        assertThat(r.rip()).isEqualTo(0xffffffffa4f6b8abL);
        assertThat(r.rsp()).isEqualTo(0xffffffffa5203e18L);
        assertThat(r.rflags()).isEqualTo(0x246);
        assertThat(r.cr0()).isEqualTo(0x80050033L);
        assertThat(r.cr2()).isEqualTo(0x7f4ab7e15000L);
        assertThat(r.cr3()).isEqualTo(0x4d4a000L);
        assertThat(r.cr4()).isEqualTo(0x350ef0L);
        assertThat(r.get("R8")).hasValue(1);
        assertThat(r.get("efer")).hasValue(0xd01);
        assertThat(r.get("GS_BASE")).hasValue(0xffff8f67bec00000L);
        assertThat(r.get("CS")).hasValue(0x10);
        assertThat(r.get("GDT_BASE")).hasValue(0xfffffe7f24e08000L);
        assertThat(r.get("TR_BASE")).hasValue(0xfffffe7f24e0a000L);
        assertThat(r.get("XMM00")).isEmpty();
        assertThat(r.get("LSTAR")).isEmpty();
    }

    @Test
    void aDumpWithoutRipIsAnError() {
        assertThatThrownBy(() -> RegisterParser.parse(0, "unknown command")).isInstanceOf(MachineException.class);
    }
}
