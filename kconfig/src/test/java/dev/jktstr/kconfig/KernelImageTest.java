package dev.jktstr.kconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelImageTest {

    @TempDir
    Path dir;

    @Test
    void schedulersResolveByNameBesideTheImageOrByPath() throws IOException {
        Path image = Files.writeString(dir.resolve("bzImage"), "image");
        Path schedulers = Files.createDirectories(dir.resolve("schedulers"));
        Path simple = Files.writeString(schedulers.resolve("scx_simple"), "elf");
        assertThat(simple.toFile().setExecutable(true)).isTrue();
        Path elsewhere = Files.writeString(dir.resolve("my_sched"), "elf");
        KernelImage kernel = new KernelImage(image, Optional.empty(), Optional.empty(), Optional.empty(), "test");

        assertThat(kernel.schedulers()).containsExactly("scx_simple");
        assertThat(kernel.scheduler("scx_simple")).isEqualTo(simple);
        assertThat(kernel.scheduler(elsewhere.toString())).isEqualTo(elsewhere);
        assertThatThrownBy(() -> kernel.scheduler("scx_qmap"))
                .isInstanceOf(KconfigException.class).hasMessageContaining("it has scx_simple");
        assertThatThrownBy(() -> kernel.scheduler("/nope/scx_simple"))
                .isInstanceOf(KconfigException.class).hasMessageContaining("no scheduler '/nope/scx_simple'");
    }
}
