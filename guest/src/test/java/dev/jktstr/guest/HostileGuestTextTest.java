package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.machine.GuestText;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Guest text reaches callers (and through them terminals and logs) only cleaned: a hostile peer tries. */
class HostileGuestTextTest {

    /** Escape sequences, C1 CSI/OSC, a bidi override, a forged line and a lot of it. */
    static final String EVIL = "\u001b]0;owned\u0007\u001b[2J\u009b2J\u009d0;x\u009c\u202eevil\u2066\u007f\r\nFAKE LINE";

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void assertClean(String text) {
        assertThat(text.codePoints().filter(c -> GuestText.isControl(c, false)))
                .as("control characters in %s", text).isEmpty();
    }

    @Test
    void kernelReleaseAndMountFailuresAreCleanedAndCapped() throws Exception {
        try (HostilePeer peer = new HostilePeer();
             AgentClient c = peer.connect(utf8("6.1" + EVIL + "x".repeat(100_000)), utf8(("proc:/proc:" + EVIL + ",").repeat(1000)))) {
            assertClean(c.kernelRelease());
            assertThat(c.kernelRelease()).startsWith("6.1\\x1b]0;owned\\x07").endsWith("more bytes)").hasSizeLessThan(300);
            assertThat(c.mountFailures()).hasSizeLessThanOrEqualTo(32).allSatisfy(HostileGuestTextTest::assertClean);
        }
    }

    @Test
    void agentErrorMessagesAndErrnoNamesAreCleaned() throws Exception {
        try (HostilePeer peer = new HostilePeer(); AgentClient c = peer.connect()) {
            CompletableFuture<Void> answered = CompletableFuture.runAsync(() -> {
                try {
                    Frame ping = peer.call();
                    peer.send(ping.id(), Protocol.ERROR, HostilePeer.error(2, utf8("ENOENT" + EVIL), utf8(EVIL.repeat(1000))));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, task -> Thread.ofPlatform().daemon().start(task));
            assertThatThrownBy(() -> c.ping(Duration.ofSeconds(10))).isInstanceOfSatisfying(AgentException.class, e -> {
                assertClean(e.getMessage());
                assertThat(e.getMessage()).contains("\\x1b]0;owned").contains("\\u202eevil").contains("more bytes)")
                        .hasSizeLessThan(2000);
                assertThat(e.errnoName()).hasValueSatisfying(HostileGuestTextTest::assertClean);
            });
            answered.get();
        }
    }
}
