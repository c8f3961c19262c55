package dev.jktstr.benchmarks;

import dev.jktstr.scenario.CgroupStats;
import dev.jktstr.scenario.Ctx;
import dev.jktstr.scenario.RunResult;
import dev.jktstr.scenario.Scenario;
import dev.jktstr.scenario.Scenarios;
import dev.jktstr.scenario.Scheduler;
import dev.jktstr.scenario.Vm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the flight recorder costs a run: worker throughput (work units per second of the run, all cgroups) of the
 * {@code steady} scenario under scx_simple with the recorder on (a snapshot with BPF maps every second) against the
 * same run with it off, in one guest, alternating on and off so host load drifts evenly over both. Target: on/off ≥
 * 0.97 (≤ 3% overhead).
 *
 * <p>Usage: {@code FlightRecorderCost [pairs] [seconds per run]} (default 6 pairs of 5 s runs); kernel and scheduler
 * from {@code ../shared} beside the checkout, or {@code JKTSTR_KERNEL}.
 */
public final class FlightRecorderCost {
    private FlightRecorderCost() {
    }

    public static void main(String[] args) {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        Duration each = Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 5);
        Path root = Path.of(System.getProperty("jktstr.repo.root", ".")).toAbsolutePath();
        Path simple = root.resolveSibling("shared").resolve("schedulers/scx_simple");
        Scenario steady = Scenarios.byName("steady");
        List<Double> on = new ArrayList<>();
        List<Double> off = new ArrayList<>();
        try (Ctx ctx = Vm.builder().topology(1, 1, 2, 1).memoryMib(256).scheduler(Scheduler.binary(simple)).duration(each)
                .build().boot()) {
            Scenarios.run(ctx.flightRecorder(Duration.ZERO), steady); // warm-up: JIT, BTF caches, the guest's page cache
            for (int i = 0; i < pairs; i++) {
                // alternate which goes first, so neither always follows the other
                for (boolean recorder : i % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                    ctx.flightRecorder(recorder ? Duration.ofSeconds(10) : Duration.ZERO);
                    double rate = rate(Scenarios.run(ctx, steady));
                    (recorder ? on : off).add(rate);
                    System.out.printf(Locale.ROOT, "pair %d recorder %-3s %,.0f units/s%n", i + 1, recorder ? "on" : "off", rate);
                }
            }
        }
        double medOn = median(on);
        double medOff = median(off);
        System.out.printf(Locale.ROOT, "flight recorder: %,.0f units/s on, %,.0f off (medians of %d); on/off = %.3f"
                + " (target >= 0.97)%n", medOn, medOff, pairs, medOn / medOff);
    }

    private static double rate(RunResult r) {
        double units = r.cgroups().stream().mapToDouble(CgroupStats::totalWorkUnits).sum();
        return units / (r.duration().toNanos() / 1e9);
    }

    private static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }
}
