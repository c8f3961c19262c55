package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MachineSpecTest {

    private static MachineSpec.Builder base() {
        return MachineSpec.builder(Path.of("/k/bzImage")).topology(new Topology(2, 1, 1, 1));
    }

    @Test
    void defaultsAndDistances() {
        MachineSpec spec = base().memoryPerNodeMib(128).commandLine("  quiet ").build();
        assertThat(spec.commandLine()).isEqualTo("quiet");
        assertThat(spec.totalMemoryMib()).isEqualTo(256);
        assertThat(spec.effectiveDistances()).isEqualTo(List.of(List.of(10, 20), List.of(20, 10)));
        MachineSpec custom = base().distances(List.of(List.of(10, 31), List.of(31, 10))).build();
        assertThat(custom.effectiveDistances().get(0)).containsExactly(10, 31);
    }

    @Test
    void rejectsBadValuesNamingTheField() {
        assertThatThrownBy(() -> base().memoryPerNodeMib(4).build())
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("memoryPerNodeMib"));
        assertThatThrownBy(() -> base().distances(List.of(List.of(10, 20))).build())
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("distances"));
        assertThatThrownBy(() -> base().distances(List.of(List.of(10, 5), List.of(5, 10))).build())
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("distances"));
        assertThatThrownBy(() -> base().addConsolePort(MachineSpec.CONTROL_PORT).build())
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("consolePorts"));
        assertThatThrownBy(() -> MachineSpec.builder(null).build())
                .isInstanceOfSatisfying(InvalidSpecException.class, e -> assertThat(e.field()).isEqualTo("kernel"));
    }
}
