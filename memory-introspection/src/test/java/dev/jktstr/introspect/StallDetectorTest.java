package dev.jktstr.introspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StallDetectorTest {

    /** One sample: per CPU {nr_running, clock}. */
    private static Snapshot sample(long[]... cpus) {
        List<RunqueueState> rqs = new ArrayList<>();
        for (int cpu = 0; cpu < cpus.length; cpu++) {
            rqs.add(new RunqueueState(cpu, cpus[cpu][0], cpus[cpu][1], 1, "x", 0L, 0L, 0L, 0L, List.of()));
        }
        SchedExtState scx = new SchedExtState(false, "disabled", "", "SCX_EXIT_NONE", null, null, null, 0L, false,
                Map.of(), List.of());
        return new Snapshot(Instant.EPOCH, 0, 0, rqs, scx, List.of(), List.of(), List.of(), List.of());
    }

    @Test
    void runnableCpuWithFrozenClockIsAStall() {
        List<Snapshot> series = List.of(
                sample(new long[] {1, 100}, new long[] {2, 500}),
                sample(new long[] {1, 200}, new long[] {2, 500}),
                sample(new long[] {1, 300}, new long[] {2, 500}),
                sample(new long[] {1, 400}, new long[] {2, 500}),
                sample(new long[] {1, 500}, new long[] {2, 600}));
        assertThat(new StallDetector(3).detect(series))
                .containsExactly(new StallDetector.Stall(1, 0, 3, 500, 2));
        assertThat(new StallDetector(5).detect(series)).isEmpty();
    }

    @Test
    void idleCpusAreExemptAndAdvancingClocksAreFine() {
        List<Snapshot> series = List.of(
                sample(new long[] {0, 100}, new long[] {1, 10}),
                sample(new long[] {0, 100}, new long[] {1, 20}),
                sample(new long[] {0, 100}, new long[] {1, 30}),
                sample(new long[] {0, 100}, new long[] {1, 40}));
        assertThat(new StallDetector(2).detect(series)).isEmpty();
    }

    @Test
    void aStallStillRunningAtTheEndIsReported() {
        List<Snapshot> series = List.of(
                sample(new long[] {3, 7}),
                sample(new long[] {3, 7}));
        assertThat(new StallDetector(2).detect(series)).containsExactly(new StallDetector.Stall(0, 0, 1, 7, 3));
    }

    @Test
    void unreadableFieldsBreakARun() {
        RunqueueState broken = new RunqueueState(0, null, null, null, null, null, null, null, null,
                List.of(new FieldError("rq[0].clock", "UnmappedAddressException", "x")));
        Snapshot bad = new Snapshot(Instant.EPOCH, 0, 0, List.of(broken), null, List.of(), List.of(), List.of(), List.of());
        List<Snapshot> series = List.of(sample(new long[] {1, 5}), bad, sample(new long[] {1, 5}));
        assertThat(new StallDetector(2).detect(series)).isEmpty();
        assertThat(bad.toJson()).contains("\"errors\"").contains("UnmappedAddressException");
    }

    @Test
    void windowBelowTwoIsRejected() {
        assertThatThrownBy(() -> new StallDetector(1)).isInstanceOf(IllegalArgumentException.class);
    }
}
