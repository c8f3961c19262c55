package dev.jktstr.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class SharedAssetsTest {

    @Test
    void sharedSitsBesideTheRepository() {
        assertThat(SharedAssets.sharedDir().getFileName().toString()).isEqualTo("shared");
        assertThat(SharedAssets.sharedDir().getParent()).isEqualTo(SharedAssets.repoRoot().getParent());
        assertThat(Files.isRegularFile(SharedAssets.repoRoot().resolve("pom.xml"))).as("repo root has the parent pom").isTrue();
    }

    @Test
    void theKernelLocationIsTheEnvironmentsOrTheSharedBuild() {
        String env = System.getenv("JKTSTR_KERNEL");
        if (env == null || env.isBlank()) {
            assertThat(SharedAssets.kernelLocation()).endsWith(java.nio.file.Path.of("kernels", SharedAssets.KERNEL_NAME));
        } else {
            assertThat(SharedAssets.kernelLocation()).isEqualTo(java.nio.file.Path.of(env).toAbsolutePath().normalize());
        }
    }

    @Test
    void programsAreFoundOnPathOrInSbin() {
        assertThat(HostProgram.find("sh")).isPresent();
        assertThat(HostProgram.find("no-such-program-jktstr")).isEmpty();
    }
}
