package dev.jktstr.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The programs of one verifier run against a baseline's, by program key: verified instructions then and now, and
 * whether the growth passes the limit. Programs new since the baseline, or gone from it, are listed, not failed.
 */
final class VerifierDelta {
    enum Status { OK, GREW, NEW, GONE, NO_BASELINE }

    record Row(String key, String type, String attachTo, Long baseline, Long now, Status status) {
        /** Growth in percent of the baseline, or null without both counts. */
        Double growthPercent() {
            return baseline == null || now == null || baseline == 0 ? null : (now - baseline) * 100.0 / baseline;
        }
    }

    private VerifierDelta() {
    }

    /** {@code baseline} null: every program is listed without a comparison. */
    static List<Row> compare(List<VerifierBaseline.Program> now, VerifierBaseline baseline, double maxGrowthPercent) {
        Map<String, VerifierBaseline.Program> before = new LinkedHashMap<>();
        if (baseline != null) {
            baseline.programs().forEach(p -> before.put(p.key(), p));
        }
        List<Row> rows = new ArrayList<>();
        for (VerifierBaseline.Program p : now) {
            VerifierBaseline.Program b = before.remove(p.key());
            Status s;
            if (baseline == null) {
                s = Status.NO_BASELINE;
            } else if (b == null) {
                s = Status.NEW;
            } else {
                boolean grew = b.verifiedInsns() == 0 ? p.verifiedInsns() > 0
                        : (p.verifiedInsns() - b.verifiedInsns()) * 100.0 / b.verifiedInsns() > maxGrowthPercent;
                s = grew ? Status.GREW : Status.OK;
            }
            rows.add(new Row(p.key(), p.type(), p.attachTo(), b == null ? null : b.verifiedInsns(), p.verifiedInsns(), s));
        }
        before.values().forEach(b -> rows.add(new Row(b.key(), b.type(), b.attachTo(), b.verifiedInsns(), null,
                Status.GONE)));
        return rows;
    }

    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-20s %-12s %-20s %10s %10s %8s  %s%n",
                "program", "type", "attach", "verified", "baseline", "change", "status"));
        for (Row r : rows) {
            Double g = r.growthPercent();
            sb.append(String.format(Locale.ROOT, "%-20s %-12s %-20s %10s %10s %8s  %s%n", t(r.key()), t(shortType(r.type())),
                    r.attachTo() == null ? "-" : t(r.attachTo()), r.now() == null ? "-" : r.now(),
                    r.baseline() == null ? "-" : r.baseline(), g == null ? "-" : String.format(Locale.ROOT, "%+.1f%%", g),
                    r.status() == Status.NO_BASELINE ? "" : r.status().name()));
        }
        return sb.toString();
    }

    /** {@code BPF_PROG_TYPE_STRUCT_OPS} → {@code struct_ops}. */
    static String shortType(String type) {
        return type.startsWith("BPF_PROG_TYPE_") ? type.substring(14).toLowerCase(Locale.ROOT) : type;
    }

    /** Names come from the guest (or a baseline file): one line, no control characters. */
    private static String t(String s) {
        return dev.jktstr.machine.GuestText.line(s, 64);
    }
}
