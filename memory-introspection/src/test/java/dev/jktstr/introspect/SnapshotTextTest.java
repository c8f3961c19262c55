package dev.jktstr.introspect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.machine.GuestText;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every string a hostile guest controls in a snapshot, printed: no control character reaches the terminal. */
class SnapshotTextTest {

    /** An xterm title (OSC), clear screen (CSI and C1 CSI), C1 OSC, a bidi override, DEL and a forged line. */
    static final String EVIL = "\u001b]0;owned\u0007\u001b[2J\u009b2J\u009d0;x\u009c\u202eevil\u007f\nerror FORGED: line";

    static Snapshot hostile() {
        FieldError err = new FieldError("rq[0].curr.comm" + EVIL, "GuestMemoryException" + EVIL, "read " + EVIL);
        RunqueueState rq = new RunqueueState(0, 1L, 2L, 42, EVIL, 3L, 0L, 0L, 0L, List.of(err));
        SchedExtState scx = new SchedExtState(true, "enabled" + EVIL, "ops" + EVIL, "SCX_EXIT_ERROR" + EVIL, "reason" + EVIL,
                "message" + EVIL + "x".repeat(100_000), 1L, 30L, true, Map.of("EV" + EVIL, 1L), List.of());
        BpfMapState map = new BpfMapState(7, "map" + EVIL, "hash" + EVIL, 4, 8, 16, "struct " + EVIL,
                List.of(new BpfMapState.Entry(new byte[4], List.of(new byte[8]), null)), List.of(err));
        DsqState dsq = new DsqState("user" + EVIL, -1, 5, 1, 0);
        TaskInfo task = new TaskInfo(1, 1, EVIL, "R" + EVIL, 0, "ext", 0, 0x1000);
        return new Snapshot(Instant.EPOCH, 0, 1000, List.of(rq), scx, List.of(dsq), List.of(map), List.of(task), List.of(err));
    }

    @Test
    void textHasNoControlCharactersAndNoForgedLines() {
        String text = hostile().toText();
        assertThat(text.codePoints().filter(c -> GuestText.isControl(c, true))).isEmpty();
        assertThat(text.lines()).noneMatch(l -> l.startsWith("error FORGED") || l.startsWith("  error FORGED"));
        assertThat(text).contains("\\x1b]0;owned\\x07").contains("\\x9b2J").contains("\\u202eevil").contains("more bytes)");
        assertThat(text.length()).isLessThan(20_000);
    }

    @Test
    void jsonEscapesEverythingOutsidePrintableAscii() {
        String json = hostile().toJson();
        assertThat(json.chars().filter(c -> c < 0x20 || c >= 0x7f)).isEmpty();
        assertThat(json).contains("\\u009B2J").contains("\\u202Eevil").contains("\\u007F");
    }
}
