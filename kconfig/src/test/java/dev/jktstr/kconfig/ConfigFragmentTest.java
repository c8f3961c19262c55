package dev.jktstr.kconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFragmentTest {

    @Test
    void parsesAssignmentsUnsetLinesAndCriticalGroups() {
        ConfigFragment f = ConfigFragment.parse("""
                # [critical] the core
                CONFIG_A=y
                # CONFIG_B is not set

                # extras
                CONFIG_C="str"
                CONFIG_D=0x10
                """, "test");
        assertThat(f.values()).containsExactly(
                java.util.Map.entry("CONFIG_A", "y"), java.util.Map.entry("CONFIG_B", "n"),
                java.util.Map.entry("CONFIG_C", "\"str\""), java.util.Map.entry("CONFIG_D", "0x10"));
        assertThat(f.critical()).containsExactly("CONFIG_A", "CONFIG_B");
        assertThat(f.valueOf("CONFIG_UNKNOWN")).isEqualTo("n");
    }

    @Test
    void badLinesAreRejectedWithOriginAndLineNumber() {
        assertThatThrownBy(() -> ConfigFragment.parse("CONFIG_A=y\nSCHED_EXT=y\n", "extra.config"))
                .isInstanceOf(KconfigException.class)
                .hasMessageContaining("extra.config:2").hasMessageContaining("SCHED_EXT=y");
        assertThatThrownBy(() -> ConfigFragment.parse("CONFIG_A=yes please\n", "x"))
                .isInstanceOf(KconfigException.class).hasMessageContaining("bad value for CONFIG_A");
    }

    @Test
    void laterFragmentsWinAndUserOverridesOfCriticalOptionsAreNotVerified() {
        ConfigFragment base = ConfigFragment.parse("CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=y\n", "defconfig");
        ConfigFragment jktstr = ConfigFragment.parse("# [critical]\nCONFIG_B=n\nCONFIG_X=y\n", "jktstr");
        ConfigFragment user = ConfigFragment.parse("CONFIG_X=n\nCONFIG_C=m\n", "user");
        ConfigFragment merged = base.mergedWith(jktstr).mergedWith(user);
        assertThat(merged.valueOf("CONFIG_A")).isEqualTo("y");
        assertThat(merged.valueOf("CONFIG_B")).isEqualTo("n");
        assertThat(merged.valueOf("CONFIG_X")).isEqualTo("n");
        assertThat(merged.valueOf("CONFIG_C")).isEqualTo("m");
        assertThat(merged.critical()).containsExactly("CONFIG_B");
        // the last assignment decides the order, as merge_config.sh leaves it
        assertThat(merged.values().keySet()).containsExactly("CONFIG_A", "CONFIG_B", "CONFIG_X", "CONFIG_C");
    }

    @Test
    void renderRoundTrips() {
        ConfigFragment f = ConfigFragment.shipped();
        assertThat(ConfigFragment.parse(f.render(), "again").values()).isEqualTo(f.values());
    }

    @Test
    void shippedFragmentCoversWhatTheIssueAsksFor() {
        ConfigFragment f = ConfigFragment.shipped();
        assertThat(f.critical()).contains("CONFIG_SCHED_CLASS_EXT", "CONFIG_BPF_JIT", "CONFIG_DEBUG_INFO_BTF",
                "CONFIG_DEBUG_INFO_REDUCED", "CONFIG_VIRTIO_CONSOLE", "CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES",
                "CONFIG_SERIAL_8250_CONSOLE", "CONFIG_DEVTMPFS", "CONFIG_NUMA", "CONFIG_CPUSETS");
        assertThat(f.valueOf("CONFIG_DEBUG_INFO_REDUCED")).isEqualTo("n");
        assertThat(f.values()).containsKeys("CONFIG_KALLSYMS_ALL", "CONFIG_IKCONFIG", "CONFIG_SCHEDSTATS",
                "CONFIG_KPROBES", "CONFIG_PARAVIRT_TIME_ACCOUNTING");
        for (String off : new String[] {"CONFIG_PROVE_LOCKING", "CONFIG_SOUND", "CONFIG_DRM", "CONFIG_USB_SUPPORT",
                "CONFIG_WLAN", "CONFIG_BT"}) {
            assertThat(f.valueOf(off)).as(off).isEqualTo("n");
        }
    }

    @Test
    void theSharedTestKernelMeetsEveryCriticalOption(@TempDir Path tmp) throws Exception {
        Path config = dev.jktstr.testsupport.SharedAssets.requireKernelFile("config");
        ConfigFragment resolved = ConfigFragment.read(config);
        assertThat(ConfigFragment.shipped().unmetIn(resolved, true)).isEmpty();
        // It was built from an older fragment that left sound, graphics and USB on: reported, not fatal.
        var build = new KernelBuild(new KernelCache(tmp.resolve("cache")), tmp.resolve("work"), line -> {});
        build.verify(ConfigFragment.shipped(), resolved);
        ConfigFragment dropped = ConfigFragment.parse("CONFIG_SCHED_CLASS_EXT=n\n", "broken");
        assertThatThrownBy(() -> build.verify(ConfigFragment.shipped(), resolved.mergedWith(dropped)))
                .isInstanceOf(KconfigException.class)
                .hasMessageContaining("CONFIG_SCHED_CLASS_EXT: wanted y, got n");
    }

    @Test
    void hashIgnoresCommentsButNotValues() {
        String a = ConfigFragment.parse("# one\nCONFIG_A=y\n", "a").hash();
        String b = ConfigFragment.parse("# two\n\nCONFIG_A=y\n", "b").hash();
        String c = ConfigFragment.parse("CONFIG_A=m\n", "c").hash();
        assertThat(a).isEqualTo(b).isNotEqualTo(c).hasSize(64);
    }
}
