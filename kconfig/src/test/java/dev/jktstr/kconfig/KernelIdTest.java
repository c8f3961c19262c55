package dev.jktstr.kconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class KernelIdTest {

    @Test
    void parsesEachForm() {
        assertThat(KernelId.parse("debian:6.12")).isEqualTo(new KernelId.Debian("debian:6.12", "6.12"));
        assertThat(((KernelId.Debian) KernelId.parse("debian:6.12")).packageName()).isEqualTo("linux-source-6.12");
        assertThat(KernelId.parse("git:/src/linux@v6.12")).isEqualTo(new KernelId.Git("git:/src/linux@v6.12", Path.of("/src/linux"), "v6.12"));
        // the last '@' splits: a tree path may hold one
        assertThat(KernelId.parse("git:/src/a@b/linux@for-next/sched")).isEqualTo(
                new KernelId.Git("git:/src/a@b/linux@for-next/sched", Path.of("/src/a@b/linux"), "for-next/sched"));
        assertThat(KernelId.parse(" ../kernels/k ")).isEqualTo(new KernelId.PathOrKey("../kernels/k"));
        assertThat(KernelId.parse("6.12.0-0123456789abcdef")).isInstanceOf(KernelId.PathOrKey.class);
    }

    @Test
    void refusesMalformedIdsSayingTheForm() {
        assertThatThrownBy(() -> KernelId.parse("  ")).isInstanceOf(KconfigException.class).hasMessageContaining("debian:6.12");
        assertThatThrownBy(() -> KernelId.parse("debian:bookworm")).hasMessageContaining("debian:MAJOR.MINOR");
        assertThatThrownBy(() -> KernelId.parse("debian:")).hasMessageContaining("debian:MAJOR.MINOR");
        assertThatThrownBy(() -> KernelId.parse("git:/src/linux")).hasMessageContaining("git:/path/to/linux@REF");
        assertThatThrownBy(() -> KernelId.parse("git:@v6.12")).hasMessageContaining("git:/path/to/linux@REF");
        assertThatThrownBy(() -> KernelId.parse("git:/src/linux@")).hasMessageContaining("git:/path/to/linux@REF");
        // a ref that git would read as an option, or a range, is refused before git sees it
        assertThatThrownBy(() -> KernelId.parse("git:/src/linux@--output=/tmp/x")).hasMessageContaining("not a git ref");
        assertThatThrownBy(() -> KernelId.parse("git:/src/linux@v6.11..v6.12")).hasMessageContaining("not a git ref");
        assertThatThrownBy(() -> KernelId.parse("git:/src/linux@v6.12 x")).hasMessageContaining("not a git ref");
    }
}
