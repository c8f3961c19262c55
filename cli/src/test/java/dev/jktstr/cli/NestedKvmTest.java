package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The proving ground's scripts, checked as text (the L1 boot itself runs in scripts/hardware-kvm-check.sh). */
class NestedKvmTest {

    @Test
    void aCheckoutUnderTmpAndTheSharedTreeBesideItStayVisibleInL1() {
        // CI may clone into /tmp: L1's own tmpfs on /tmp must not hide it (it did: "can't cd to /tmp/ci/main").
        List<String> kept = NestedKvm.tmpEntriesToKeep(List.of(Path.of("/tmp/ci/main"), Path.of("/tmp/ci/shared"),
                Path.of("/tmp/main"), Path.of("/tmp/shared"), Path.of("/work/main"), Path.of("/tmp"), Path.of("/tmpx/a")));
        assertThat(kept).containsExactly("ci", "main", "shared");
        String init = NestedKvm.initScript(Path.of("/root/.cache/run.sh"), kept);
        assertThat(init).contains("mount -t tmpfs tmp /host/tmp")
                .contains("mount --bind '/hosttmp/ci' '/host/tmp/ci'")
                .contains("mount --bind '/hosttmp/shared' '/host/tmp/shared'");
        assertThat(init.indexOf("mount --bind /host/tmp /hosttmp")).isLessThan(init.indexOf("mount -t tmpfs tmp /host/tmp"));
        assertThat(init.indexOf("mount -t tmpfs tmp /host/tmp")).isLessThan(init.indexOf("mount --bind '/hosttmp/ci'"));
        assertThat(init).contains("chroot /host /bin/sh '/root/.cache/run.sh'");
        for (String module : NestedKvm.MODULES) {
            assertThat(init).contains("insmod /modules/" + module + ".ko");
        }
    }

    @Test
    void theRunScriptKeepsTheDirectoryAndRecordsTheExitStatus() {
        String script = NestedKvm.runScript("echo 'it''s'; exit 3", Path.of("/c/exit"));
        assertThat(script).contains("cd '" + Path.of("").toAbsolutePath() + "' || exit 125")
                .contains("(\necho 'it''s'; exit 3\n)\nrc=$?\necho $rc > '/c/exit'\nsync\nexit $rc\n");
    }
}
