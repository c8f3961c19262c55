package dev.jktstr.kconfig;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MakeProgressTest {

    @Test
    void countsKbuildStepsAndPassesWarningsThrough() {
        List<String> out = new ArrayList<>();
        MakeProgress progress = new MakeProgress(out::add, 4, Duration.ofHours(1));
        progress.accept("  CC      kernel/sched/core.o");
        progress.accept("  CC      kernel/sched/ext.o");
        progress.accept("kernel/sched/ext.c:12:3: warning: unused variable 'x'");
        progress.accept("  LD      vmlinux.o");
        progress.accept("  BTF     .btf.vmlinux.bin.o");
        progress.accept("some other noise");
        progress.accept("make[1]: Entering directory '/build'");
        assertThat(progress.steps()).isEqualTo(4);
        // one status line per interval (the first step), warnings always
        assertThat(out).hasSize(2);
        assertThat(out.get(0)).contains("[25%").contains("CC kernel/sched/core.o");
        assertThat(out.get(1)).contains("warning: unused variable");
    }

    @Test
    void neverClaimsToBeDoneBeforeMakeIs() {
        MakeProgress progress = new MakeProgress(line -> {}, 1, Duration.ZERO);
        for (int i = 0; i < 10; i++) {
            progress.accept("  CC      a" + i + ".o");
        }
        assertThat(progress.status("CC", "x", System.nanoTime())).startsWith("[99%");
    }
}
