package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.guest.WorkerRequest;
import dev.jktstr.machine.Topology;
import org.junit.jupiter.api.Test;

/**
 * PreferredMany and WeightedInterleave: node lists checked before boot, the kernel's names for them (mpol_to_str), the
 * wire mode. The agent applying them on a real kernel is guest's {@code AgentWorkersLocalTest} (no VM).
 */
class MemoryPolicyModesTest {
    private static final Topology TWO_NODES = new Topology(2, 1, 1, 1);

    @Test
    void theNewModesNeedNodesInTheTopology() {
        MemoryPolicy.preferredMany(0, 1).validate(TWO_NODES, "f");
        MemoryPolicy.weightedInterleave(1).validate(TWO_NODES, "f");
        assertThatThrownBy(() -> MemoryPolicy.preferredMany().validate(TWO_NODES, "f"))
                .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("needs at least one NUMA node");
        assertThatThrownBy(() -> MemoryPolicy.weightedInterleave(2).validate(TWO_NODES, "f"))
                .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("outside the topology");
    }

    @Test
    void theyAreShownAsTheKernelShowsThemAndSentAsTheirModes() {
        assertThat(MemoryPolicy.preferredMany(1, 0).kernelForm()).isEqualTo("prefer (many)=static:0-1");
        assertThat(MemoryPolicy.weightedInterleave(0, 1).kernelForm()).isEqualTo("weighted interleave=static:0-1");
        assertThat(MemoryPolicy.preferredMany(1).toRequest().mode()).isEqualTo(WorkerRequest.MemPolicy.Mode.PREFERRED_MANY);
        assertThat(MemoryPolicy.weightedInterleave(1).toRequest().mode())
                .isEqualTo(WorkerRequest.MemPolicy.Mode.WEIGHTED_INTERLEAVE);
        assertThat(MemoryPolicy.preferredMany(1).cpusetMems()).isEmpty();
    }
}
