package dev.jktstr.scenario;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A verdict's claims, kept so that no two rows share a label: two claims on one metric
 * ({@code atLeast(10)} and {@code atMost(100)} on {@code cg_0.maxGapMs}) would otherwise print two rows, and write two
 * result-file entries, that a reader cannot tell apart. When a label repeats, every claim carrying it is qualified by
 * its comparison ({@code cg_0.maxGapMs[>= 10]}, {@code cg_0.maxGapMs[<= 100]}); a claim whose label is unique keeps the
 * plain label, so existing readers of single claims see no change.
 */
final class DistinctClaimLabels extends ArrayList<ClaimResult> {

    /** Positions of the claims made under each plain label. */
    private final Map<String, List<Integer>> byLabel = new HashMap<>();

    @Override
    public boolean add(ClaimResult c) {
        List<Integer> same = byLabel.computeIfAbsent(c.label(), k -> new ArrayList<>());
        if (same.size() == 1) {
            int first = same.getFirst();
            set(first, relabel(get(first), qualified(c.label(), get(first), 1)));
        }
        ClaimResult added = same.isEmpty() ? c : relabel(c, qualified(c.label(), c, same.size() + 1));
        same.add(size());
        return super.add(added);
    }

    /** The label with the comparison, and the claim's ordinal when that still is not unique. */
    private String qualified(String label, ClaimResult c, int ordinal) {
        String q = label + "[" + c.comparison() + (c.threshold().isEmpty() ? "" : " " + c.threshold()) + "]";
        boolean taken = stream().anyMatch(other -> other != c && other.label().equals(q));
        return taken ? q + " #" + ordinal : q;
    }

    private static ClaimResult relabel(ClaimResult c, String label) {
        return new ClaimResult(label, c.value(), c.comparison(), c.threshold(), c.limits(), c.outcome(), c.detail());
    }
}
