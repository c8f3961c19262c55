package dev.jktstr.benchmarks;

import dev.jktstr.scenario.gauntlet.Gauntlet;
import dev.jktstr.scenario.gauntlet.GauntletEntry;
import dev.jktstr.scenario.gauntlet.GauntletOutcome;
import dev.jktstr.scenario.gauntlet.GauntletResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;

/**
 * Wall time of a small gauntlet matrix (default: tiny-1llc, tiny-2llc, odd-3llc, smt-2llc × steady under EEVDF, 3 s
 * runs, 256 MiB per VM, QEMU TCG) with the budget scheduler (the host's default budget) against the same matrix one
 * VM at a time ({@code maxVms(1)}), alternating which goes first, in one run; prints both and the ratio parallel ÷
 * sequential (target ≤ 0.6 on 2 cores), and the most VMs that ran at once.
 *
 * <p>Usage: {@code GauntletParallelRatio [rounds] [duration seconds] [presets,comma,separated]}; kernel from
 * JKTSTR_KERNEL or the standard lookup. A run that is not PASS is printed (it still counts: its VM ran).
 */
public final class GauntletParallelRatio {
    private GauntletParallelRatio() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String[] presets = (args.length > 2 ? args[2] : "tiny-1llc,tiny-2llc,odd-3llc,smt-2llc").split(",");
        double[] parallel = new double[rounds];
        double[] sequential = new double[rounds];
        int peak = 0;
        Path tmp = Files.createTempDirectory("jktstr-gauntlet-bench");
        try {
            for (int i = 0; i < rounds; i++) {
                boolean parallelFirst = i % 2 == 0;
                for (int side = 0; side < 2; side++) {
                    boolean par = (side == 0) == parallelFirst;
                    Gauntlet.Builder b = Gauntlet.builder().scenarios("steady").presets(presets)
                            .duration(Duration.ofSeconds(seconds)).memoryPerNodeMib(256).backend("qemu:tcg")
                            .bootTimeout(Duration.ofSeconds(600)).resultsDir(tmp.resolve((par ? "par" : "seq") + i));
                    if (!par) {
                        b.maxVms(1);
                    }
                    Gauntlet g = b.build();
                    long t0 = System.nanoTime();
                    GauntletResult r = g.run();
                    double s = (System.nanoTime() - t0) / 1e9;
                    if (par) {
                        parallel[i] = s;
                        peak = Math.max(peak, g.peakVms());
                    } else {
                        sequential[i] = s;
                    }
                    for (GauntletEntry e : r.index().runs()) {
                        if (e.outcome() != GauntletOutcome.PASS) {
                            System.out.println("  " + e.key() + ": " + e.outcome() + " " + e.reason());
                        }
                    }
                    System.out.printf(Locale.ROOT, "round %d %-10s %6.1f s (%d VMs at most at once)%n", i + 1,
                            par ? "parallel" : "sequential", s, par ? g.peakVms() : 1);
                }
            }
        } finally {
            try (var walk = Files.walk(tmp)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        double p = median(parallel), q = median(sequential);
        System.out.printf(Locale.ROOT, "gauntlet %d presets x steady, %d s runs, %d cores: parallel %.1f s, sequential"
                + " %.1f s (medians of %d), ratio %.2f (target <= 0.6), at most %d VMs at once%n", presets.length, seconds,
                Runtime.getRuntime().availableProcessors(), p, q, rounds, p / q, peak);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
