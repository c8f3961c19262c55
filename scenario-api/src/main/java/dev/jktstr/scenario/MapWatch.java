package dev.jktstr.scenario;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.jktstr.introspect.BpfMapState;
import dev.jktstr.introspect.Snapshot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One value of a sched_ext scheduler's BPF map to follow over a run: {@code stats[1]} (scx_simple's global-queue
 * counter: key 1 of its per-CPU array, summed over CPUs), {@code scx_qmap.bss[0].nr_enqueued} (a field of a global
 * variable section, through the map's BTF). Written {@code MAP[KEY]} or {@code MAP[KEY].FIELD.PATH}; a path segment
 * that is a number indexes an array. The run reads it from guest memory at every flight-recorder snapshot and the
 * result holds it as a {@link TimeSeries} named like the watch, ready for {@link SeriesClaim}s.
 *
 * @param map   the map's name as the kernel holds it (at most 15 characters: {@code bpf_map.name})
 * @param key   the array index (u32 key)
 * @param field the path into the value, empty for the value itself read as a u64
 */
public record MapWatch(String map, long key, List<String> field) {
    private static final Pattern SYNTAX = Pattern.compile("([^\\[\\]\\s]{1,15})\\[(\\d{1,10})\\]((?:\\.[A-Za-z0-9_]+)*)");
    private static final JsonFactory JSON = new JsonFactory();

    public MapWatch {
        Objects.requireNonNull(map, "map");
        field = List.copyOf(field);
    }

    /** Parses {@code MAP[KEY]} or {@code MAP[KEY].FIELD.PATH}. */
    public static MapWatch parse(String text) {
        Matcher m = SYNTAX.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new InvalidScenarioException("watch", "'" + text + "' is not MAP[KEY] or MAP[KEY].FIELD.PATH"
                    + " (e.g. stats[1], scx_qmap.bss[0].nr_enqueued)");
        }
        String path = m.group(3);
        return new MapWatch(m.group(1), Long.parseLong(m.group(2)),
                path.isEmpty() ? List.of() : List.of(path.substring(1).split("\\.")));
    }

    /** How the watch is written, and the name of its series. */
    public String name() {
        return map + "[" + key + "]" + (field.isEmpty() ? "" : "." + String.join(".", field));
    }

    /** What one snapshot says: the value (summed over CPUs for a per-CPU map), or why it has none. */
    sealed interface Reading {
        record Value(double value) implements Reading {}

        /** The watch names something the guest does not have: {@code permanent} when the map or field is missing. */
        record Missing(String why) implements Reading {}
    }

    /** Reads this watch from {@code s}. */
    Reading read(Snapshot s) {
        BpfMapState state = s.maps().stream().filter(mp -> mp.name().equals(map)).findFirst().orElse(null);
        if (state == null) {
            return new Reading.Missing("no BPF map '" + map + "' in the guest" + nearest(map,
                    s.maps().stream().map(BpfMapState::name).toList()));
        }
        BpfMapState.Entry entry = state.entries().stream().filter(e -> e.keyU32() == key).findFirst().orElse(null);
        if (entry == null) {
            return new Reading.Missing("map '" + map + "' (" + state.type() + ", " + state.maxEntries() + " entries) has no"
                    + " readable key " + key);
        }
        if (field.isEmpty()) {
            return new Reading.Value(entry.sumU64(0));
        }
        if (entry.valueJson() == null) {
            return new Reading.Missing("map '" + map + "' has no BTF for its values: watch " + map + "[" + key + "] alone");
        }
        double sum = 0;
        for (String json : entry.valueJson()) {
            Object v = at(json, field);
            if (v instanceof Number n) {
                sum += n.doubleValue();
            } else {
                return new Reading.Missing("map '" + map + "' value has no number at '" + String.join(".", field) + "'"
                        + (v instanceof List<?> names ? nearest(field.getLast(), names.stream().map(Object::toString).toList())
                        : ""));
            }
        }
        return new Reading.Value(sum);
    }

    /**
     * The number at {@code path} in {@code json}, or the field names at the level where the path left the value (a
     * {@code List<String>}), or null for a value that is not JSON.
     */
    static Object at(String json, List<String> path) {
        try (JsonParser p = JSON.createParser(json)) {
            JsonToken t = p.nextToken();
            for (String seg : path) {
                if (t == JsonToken.START_OBJECT) {
                    List<String> names = new ArrayList<>();
                    boolean found = false;
                    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        t = p.nextToken();
                        if (name.equals(seg)) {
                            found = true;
                            break;
                        }
                        names.add(name);
                        p.skipChildren();
                    }
                    if (!found) {
                        return names;
                    }
                } else if (t == JsonToken.START_ARRAY && seg.chars().allMatch(Character::isDigit)) {
                    int index = Integer.parseInt(seg);
                    int i = 0;
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null && i < index) {
                        p.skipChildren();
                        i++;
                    }
                    if (t == JsonToken.END_ARRAY || t == null) {
                        return List.of("[0.." + (i - 1) + "]");
                    }
                } else {
                    return List.of();
                }
            }
            return t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT ? p.getNumberValue()
                    : t == JsonToken.VALUE_TRUE ? (Number) 1 : t == JsonToken.VALUE_FALSE ? (Number) 0 : List.of();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** "; nearest: a, b, c" — the three names closest to {@code wanted} by edit distance. */
    static String nearest(String wanted, List<String> names) {
        if (names.isEmpty()) {
            return "";
        }
        List<String> best = names.stream().distinct().sorted(Comparator.comparingInt((String n) -> distance(wanted, n))
                .thenComparing(Comparator.naturalOrder())).limit(3).toList();
        return "; nearest: " + String.join(", ", best);
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
