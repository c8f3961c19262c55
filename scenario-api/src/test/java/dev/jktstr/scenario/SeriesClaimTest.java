package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeriesClaimTest {
    /** A counter read every 500 ms, growing 100 per read (200/s), with a drop at sample 4 when {@code drop}. */
    private static TimeSeries counter(boolean drop) {
        List<Long> at = List.of(0L, 500L, 1000L, 1500L, 2000L, 2500L);
        List<Long> v = drop ? List.of(0L, 100L, 200L, 300L, 250L, 400L) : List.of(0L, 100L, 200L, 300L, 400L, 500L);
        return TimeSeries.of("stats[1]", at, v);
    }

    private static ClaimResult only(Verdict v) {
        assertThat(v.claims()).hasSize(1);
        return v.claims().getFirst();
    }

    @Test
    void monotonicClaimsNameTheSampleWhereTheyBroke() {
        assertThat(only(new Verdict(Assert.none()).claimOver(counter(false)).nonDecreasing()).outcome()).isEqualTo(Outcome.PASS);
        ClaimResult c = only(new Verdict(Assert.none()).claimOver(counter(true)).nonDecreasing());
        assertThat(c.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(c.label()).isEqualTo("stats[1]");
        assertThat(c.detail()).isEqualTo("sample 4 (t=2.00 s): 250 after 300");
        TimeSeries flat = TimeSeries.of("x", List.of(0L, 1L, 2L), List.of(1, 2, 2));
        assertThat(only(new Verdict(Assert.none()).claimOver(flat).nonDecreasing()).outcome()).isEqualTo(Outcome.PASS);
        assertThat(only(new Verdict(Assert.none()).claimOver(flat).strictlyIncreasing()).detail()).startsWith("sample 2 ");
    }

    @Test
    void rateWithinChecksEveryInterval() {
        ClaimResult ok = only(new Verdict(Assert.none()).claimOver(counter(false)).rateWithin(150, 250));
        assertThat(ok.outcome()).isEqualTo(Outcome.PASS);
        assertThat(ok.detail()).isEqualTo("rates 200..200/s");
        ClaimResult tooLow = only(new Verdict(Assert.none()).claimOver(counter(false)).rateWithin(300, 1000));
        assertThat(tooLow.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(tooLow.value()).isEqualTo(200.0);
        assertThat(tooLow.detail()).isEqualTo("sample 1 (t=0.50 s): 200/s over the 500 ms before it");
        assertThat(only(new Verdict(Assert.none()).claimOver(counter(true)).rateWithin(0, 1000)).detail()).startsWith("sample 4 ");
    }

    @Test
    void steadyConvergesAlwaysNeverAndRatio() {
        TimeSeries warming = TimeSeries.of("depth", List.of(0L, 1000L, 2000L, 3000L, 4000L), List.of(50, 12, 10, 11, 9));
        assertThat(only(new Verdict(Assert.none()).claimOver(warming).steadyWithin(20, Duration.ofMillis(1000))).outcome())
                .isEqualTo(Outcome.PASS);
        assertThat(only(new Verdict(Assert.none()).claimOver(warming).steadyWithin(20, Duration.ZERO)).detail()).startsWith("sample 0 ");
        assertThat(only(new Verdict(Assert.none()).claimOver(warming).convergesTo(10, 2, Duration.ofMillis(1000))).outcome())
                .isEqualTo(Outcome.PASS);
        ClaimResult late = only(new Verdict(Assert.none()).claimOver(warming).convergesTo(10, 0.5, Duration.ofMillis(3000)));
        assertThat(late.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(late.detail()).isEqualTo("sample 4 (t=4.00 s) was still 9");
        assertThat(only(new Verdict(Assert.none()).claimOver(warming).always(v -> v <= 50, "<= 50")).outcome()).isEqualTo(Outcome.PASS);
        assertThat(only(new Verdict(Assert.none()).claimOver(warming).never(v -> v > 40, "> 40")).detail()).startsWith("sample 0 ");
        TimeSeries half = TimeSeries.of("half", warming.atMs(), warming.values().stream().map(v -> v / 2).toList());
        assertThat(only(new Verdict(Assert.none()).claimOver(half).ratioWithin(warming, 0.49, 0.51)).outcome()).isEqualTo(Outcome.PASS);
        assertThat(only(new Verdict(Assert.none()).claimOver(half).ratioWithin(warming, 0.6, 1)).outcome()).isEqualTo(Outcome.FAIL);
    }

    @Test
    void tooFewSamplesAreInconclusiveAndNullsAreLeftOut() {
        TimeSeries one = TimeSeries.of("x", List.of(0L, 1L), Arrays.asList(null, 5L));
        assertThat(one.size()).isEqualTo(1);
        ClaimResult c = only(new Verdict(Assert.none()).claimOver(one).nonDecreasing());
        assertThat(c.outcome()).isEqualTo(Outcome.INCONCLUSIVE);
        assertThat(c.detail()).isEqualTo("1 sample(s), 2 needed to decide");
    }

    @Test
    void phaseReducers() {
        TimeSeries c = counter(false);
        assertThat(c.window(1000, 2000).delta()).isEqualTo(100.0);
        assertThat(c.valueAt(1700)).isEqualTo(300.0);
        assertThat(c.valueAt(-1)).isNaN();
        assertThat(c.first()).isZero();
        assertThat(c.last()).isEqualTo(500.0);
    }
}
