package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConsoleLogTest {

    private static void append(ConsoleLog log, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        log.append(b, 0, b.length);
    }

    @Test
    void tailIsBoundedAndStartsAtALine() {
        ConsoleLog log = new ConsoleLog();
        for (int i = 0; i < 2000; i++) {
            append(log, "line " + i + "\r\n");
        }
        String tail = log.tail();
        assertThat(tail.length()).isLessThanOrEqualTo(ConsoleLog.TAIL_BYTES);
        assertThat(tail).startsWith("line ").endsWith("line 1999").doesNotContain("\r");
    }

    @Test
    void tailEscapesEveryControlAGuestCanPrint() {
        ConsoleLog log = new ConsoleLog();
        append(log, "ok\r\n\u001b]0;owned\u0007\u009b2J\u009d8;;x\u009c\u202eevil\u2066\u007f\ttab\rback\n");
        String tail = log.tail();
        assertThat(tail).isEqualTo("ok\n\\x1b]0;owned\\x07\\x9b2J\\x9d8;;x\\x9c\\u202eevil\\u2066\\x7f\ttab\\rback");
        assertThat(tail.codePoints().filter(c -> GuestText.isControl(c, true))).isEmpty();
    }

    @Test
    void recognisesPanicAndRebootLines() {
        ConsoleLog log = new ConsoleLog();
        append(log, "[ 1.0] reboot: Restarting system\n");
        assertThat(log.sawRestart()).isTrue();
        assertThat(log.sawPanic()).isFalse();
        append(log, "[ 2.0] Kernel panic - not syncing: sysrq triggered crash\n");
        assertThat(log.sawPanic()).isTrue();
    }

    @Test
    void streamsReadEverythingThenEnd() throws IOException {
        ConsoleLog log = new ConsoleLog();
        append(log, "abc");
        InputStream in = log.stream();
        append(log, "def");
        log.end();
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("abcdef");
    }

    @Test
    void aSlowReaderSkipsAheadInsteadOfBlockingTheWriter() throws IOException {
        ConsoleLog log = new ConsoleLog();
        InputStream in = log.stream();
        byte[] chunk = new byte[ConsoleLog.CAPACITY / 4];
        for (int i = 0; i < 6; i++) {
            java.util.Arrays.fill(chunk, (byte) ('a' + i));
            log.append(chunk, 0, chunk.length);
        }
        log.end();
        byte[] all = in.readAllBytes();
        assertThat(all).hasSize(ConsoleLog.CAPACITY);
        assertThat(all[0]).isEqualTo((byte) 'c');
    }
}
