package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.kconfig.KernelNotFoundException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A missing kernel, met through the Java API, is explained in the API's terms, not the CLI's flags. */
class KernelAdviceTest {

    @Test
    void aMissingKernelNamesTheApisWaysToGiveOne() {
        Vm vm = Vm.builder().kernel(Path.of("/nonexistent/jktstr-kernel")).build();
        assertThatThrownBy(vm::kernelImage).isInstanceOf(ScenarioException.class)
                .hasCauseInstanceOf(KernelNotFoundException.class)
                .hasMessageContaining("/nonexistent/jktstr-kernel")
                .hasMessageContaining("Vm.builder().kernel(path)").hasMessageContaining("-Djktstr.kernel=DIR")
                .hasMessageContaining("JKTSTR_KERNEL")
                .hasMessageNotContaining("--kernel");
    }
}
