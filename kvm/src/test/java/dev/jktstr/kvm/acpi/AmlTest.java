package dev.jktstr.kvm.acpi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AmlTest {

    @Test
    void pkgLengthCountsItselfAndSwitchesFormsAtTheBoundaries() {
        assertThat(Aml.pkgLength(0)).containsExactly(0x01);
        assertThat(Aml.pkgLength(62)).containsExactly(0x3F);
        // 63 + 2 = 65 = 0x41: lead byte 01xx_0001, then 0x04.
        assertThat(Aml.pkgLength(63)).containsExactly(0x41, 0x04);
        assertThat(Aml.pkgLength(4093)).containsExactly(0x4F, 0xFF);
        assertThat(Aml.pkgLength(4094)).containsExactly(0x81, 0x00, 0x01); // 4097 = 0x1001
        assertThat(Aml.pkgLength((1 << 20) - 4)).hasSize(3);
        assertThat(Aml.pkgLength((1 << 20) - 3)).hasSize(4);
        assertThatThrownBy(() -> Aml.pkgLength(1 << 28)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void integersUseTheShortestForm() {
        assertThat(Aml.integer(0)).containsExactly(0x00);
        assertThat(Aml.integer(1)).containsExactly(0x01);
        assertThat(Aml.integer(5)).containsExactly(0x0A, 0x05);
        assertThat(Aml.integer(0x1234)).containsExactly(0x0B, 0x34, 0x12);
        assertThat(Aml.integer(0x12345678L)).containsExactly(0x0C, 0x78, 0x56, 0x34, 0x12);
        assertThat(Aml.integer(0x1_0000_0000L)).containsExactly(0x0E, 0, 0, 0, 0, 1, 0, 0, 0);
    }

    @Test
    void namesStringsAndNesting() {
        assertThat(Aml.nameString("\\_SB")).containsExactly('\\', '_', 'S', 'B', '_');
        assertThat(Aml.nameString("_SB.C001")).containsExactly(0x2E, '_', 'S', 'B', '_', 'C', '0', '0', '1');
        assertThat(Aml.nameString("\\A.B.C")).containsExactly('\\', 0x2F, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_', '_');
        assertThat(Aml.nameString("^FOO")).containsExactly('^', 'F', 'O', 'O', '_');
        assertThatThrownBy(() -> Aml.nameString("toolong")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Aml.string("ACPI0007")).containsExactly(0x0D, 'A', 'C', 'P', 'I', '0', '0', '0', '7', 0);
        byte[] device = Aml.device("C000", Aml.name("_UID", Aml.integer(0)));
        // 5B 82 PkgLength(1 + 4 + 6 = 11) "C000" 08 "_UID" 00
        assertThat(device).containsExactly(0x5B, 0x82, 11, 'C', '0', '0', '0', 0x08, '_', 'U', 'I', 'D', 0x00);
        assertThat(Aml.pkg(Aml.integer(5))).containsExactly(0x12, 4, 1, 0x0A, 5);
    }
}
