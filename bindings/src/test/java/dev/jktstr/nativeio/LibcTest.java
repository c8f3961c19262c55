package dev.jktstr.nativeio;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LibcTest {

    @Test
    void unameSaysLinuxAndMatchesTheJvm() {
        Libc.Uname uname = Libc.uname();

        assertThat(uname.sysname()).isEqualTo("Linux");
        assertThat(uname.release()).isEqualTo(System.getProperty("os.version"));
        assertThat(uname.machine()).isEqualTo("x86_64");
        assertThat(uname.nodename()).isNotEmpty();
        assertThat(uname.version()).isNotEmpty();
    }

    @Test
    void gettidIsPerThreadAndGetpidIsTheJvm() throws Exception {
        int mine = Libc.gettid();
        AtomicInteger other = new AtomicInteger();
        Thread thread = Thread.ofPlatform().start(() -> other.set(Libc.gettid()));
        thread.join();

        assertThat(mine).isPositive();
        assertThat(other.get()).isPositive().isNotEqualTo(mine);
        assertThat(Libc.getpid()).isEqualTo((int) ProcessHandle.current().pid());
    }
}
