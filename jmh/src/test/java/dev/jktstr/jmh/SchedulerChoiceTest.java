package dev.jktstr.jmh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.scenario.Scheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchedulerChoiceTest {

    @TempDir
    Path dir;

    @Test
    void eevdfNeedsNoFile() {
        KernelImage k = new KernelImage(dir.resolve("bzImage"), Optional.empty(), Optional.empty(), Optional.empty(), "t");
        assertThat(SchedulerChoice.resolve("EEVDF", k, dir)).isInstanceOf(Scheduler.Eevdf.class);
    }

    @Test
    void unknownNameListsEveryPlaceTried() throws Exception {
        Files.createDirectories(dir.resolve("kernel"));
        KernelImage k = new KernelImage(dir.resolve("kernel/bzImage"), Optional.empty(), Optional.empty(), Optional.empty(), "t");
        assertThatThrownBy(() -> SchedulerChoice.resolve("scx_nope", k, dir.resolve("work")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scx_nope")
                .hasMessageContaining(dir.resolve("work/shared/schedulers/scx_nope").toString())
                .hasMessageContaining(dir.resolve("shared/schedulers/scx_nope").toString());
        assertThatThrownBy(() -> SchedulerChoice.resolve("no/such/file", k, dir))
                .hasMessageContaining("no such file");
    }
}
