package dev.jktstr.machine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LogLimitTest {

    @Test
    void firstNThenOneLineThenACount() {
        List<String> lines = new ArrayList<>();
        LogLimit limit = new LogLimit("agent: unsolicited frames", 3, lines::add);
        AtomicInteger built = new AtomicInteger();
        for (int i = 0; i < 200_000; i++) {
            int n = i;
            limit.log(() -> {
                built.incrementAndGet();
                return "frame " + n;
            });
        }
        assertThat(built).hasValue(3);
        limit.summarize();
        limit.summarize(); // nothing new: no second line
        assertThat(lines).containsExactly("frame 0", "frame 1", "frame 2",
                "agent: unsolicited frames: more than 3 messages; the rest are only counted",
                "agent: unsolicited frames: 199997 more message(s) suppressed");
        assertThat(limit.seen()).isEqualTo(200_000);
        limit.log(() -> "late");
        limit.summarize();
        assertThat(lines).hasSize(6).last().isEqualTo("agent: unsolicited frames: 1 more message(s) suppressed");
    }

    @Test
    void nothingSuppressedNothingSummarized() {
        List<String> lines = new ArrayList<>();
        LogLimit limit = new LogLimit("x", 5, lines::add);
        limit.log(() -> "one");
        limit.summarize();
        assertThat(lines).containsExactly("one");
    }

    @Test
    void concurrentFloodStaysBounded() {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        LogLimit limit = new LogLimit("x", 10, lines::add);
        IntStream.range(0, 100_000).parallel().forEach(i -> limit.log(() -> "m" + i));
        limit.summarize();
        assertThat(lines).hasSize(12);
        assertThat(limit.suppressed()).isEqualTo(100_000 - 10);
    }
}
