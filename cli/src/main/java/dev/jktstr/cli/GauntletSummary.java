package dev.jktstr.cli;

import dev.jktstr.machine.GuestText;
import dev.jktstr.scenario.gauntlet.GauntletEntry;
import dev.jktstr.scenario.gauntlet.GauntletIndex;
import dev.jktstr.scenario.gauntlet.GauntletOutcome;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The table a gauntlet ends with: rows scenario × scheduler (× kernel when there are several), columns presets, each
 * cell the outcome; then the reason of every run that did not pass, and the counts.
 */
final class GauntletSummary {
    private GauntletSummary() {
    }

    static String table(GauntletIndex index) {
        List<GauntletEntry> runs = index.runs();
        TreeSet<String> presets = new TreeSet<>();
        TreeSet<String> kernels = new TreeSet<>();
        runs.forEach(e -> {
            presets.add(e.key().preset());
            kernels.add(e.key().kernel());
        });
        Map<String, Map<String, GauntletOutcome>> rows = new LinkedHashMap<>();
        for (GauntletEntry e : runs) {
            String row = e.key().scenario() + " / " + e.key().scheduler() + (kernels.size() > 1 ? " / " + e.key().kernel() : "");
            rows.computeIfAbsent(row, r -> new LinkedHashMap<>()).put(e.key().preset(), e.outcome());
        }
        String header = "scenario / scheduler" + (kernels.size() > 1 ? " / kernel" : "");
        int first = Math.max(header.length(), rows.keySet().stream().mapToInt(String::length).max().orElse(0));
        StringBuilder b = new StringBuilder();
        b.append(pad(header, first));
        List<Integer> widths = presets.stream().map(p -> Math.max(12, p.length())).toList();
        int i = 0;
        for (String p : presets) {
            b.append("  ").append(pad(p, widths.get(i++)));
        }
        b.append('\n');
        for (var row : rows.entrySet()) {
            b.append(pad(row.getKey(), first));
            i = 0;
            for (String p : presets) {
                GauntletOutcome o = row.getValue().get(p);
                b.append("  ").append(pad(o == null ? "-" : o.name(), widths.get(i++)));
            }
            b.append('\n');
        }
        strip(b);
        Map<GauntletOutcome, Integer> counts = new java.util.EnumMap<>(GauntletOutcome.class);
        for (GauntletEntry e : runs) {
            counts.merge(e.outcome(), 1, Integer::sum);
            if (e.outcome() != GauntletOutcome.PASS && e.reason() != null) {
                b.append(e.outcome()).append(' ').append(e.key()).append(": ").append(GuestText.line(e.reason(), 300))
                        .append('\n');
            }
        }
        b.append(runs.size()).append(" runs:");
        counts.forEach((k, v) -> b.append(' ').append(k).append(' ').append(v));
        return b.append('\n').toString();
    }

    /** Drops the padding at the ends of lines. */
    private static void strip(StringBuilder b) {
        String t = b.toString().lines().map(String::stripTrailing).reduce("", (x, y) -> x + y + "\n");
        b.setLength(0);
        b.append(t);
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }
}
