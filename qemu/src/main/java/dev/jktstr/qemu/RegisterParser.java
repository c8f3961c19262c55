package dev.jktstr.qemu;

import dev.jktstr.machine.VcpuRegisters;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the HMP {@code info registers} dump: {@code NAME=hex} pairs, plus the segment lines
 * ({@code FS =0000 base limit flags}) whose base becomes {@code FS_BASE} and the descriptor tables
 * ({@code GDT= base limit}) whose base becomes {@code GDT_BASE}.
 */
final class RegisterParser {

    private static final Pattern SEGMENT = Pattern.compile(
            "^(ES|CS|SS|DS|FS|GS|LDT|TR)\\s*=([0-9a-fA-F]+)\\s+([0-9a-fA-F]+)\\s+([0-9a-fA-F]+)", Pattern.MULTILINE);
    private static final Pattern TABLE = Pattern.compile("^(GDT|IDT)\\s*=\\s*([0-9a-fA-F]+)\\s+([0-9a-fA-F]+)", Pattern.MULTILINE);
    private static final Pattern PAIR = Pattern.compile("\\b([A-Z][A-Z0-9]*)\\s*=([0-9a-fA-F]+)\\b");

    private RegisterParser() {
    }

    static VcpuRegisters parse(int cpu, String dump) {
        Map<String, Long> all = new LinkedHashMap<>();
        for (String line : dump.split("\n")) {
            if (SEGMENT.matcher(line).find() || TABLE.matcher(line).find()) {
                continue;
            }
            Matcher m = PAIR.matcher(line);
            while (m.find()) {
                put(all, m.group(1), m.group(2));
            }
        }
        Matcher s = SEGMENT.matcher(dump);
        while (s.find()) {
            put(all, s.group(1), s.group(2));
            put(all, s.group(1) + "_BASE", s.group(3));
            put(all, s.group(1) + "_LIMIT", s.group(4));
        }
        Matcher t = TABLE.matcher(dump);
        while (t.find()) {
            put(all, t.group(1) + "_BASE", t.group(2));
            put(all, t.group(1) + "_LIMIT", t.group(3));
        }
        if (!all.containsKey("RIP") || !all.containsKey("CR3")) {
            throw new dev.jktstr.machine.MachineException("QEMU register dump for cpu " + cpu
                    + " lacks RIP or CR3: " + dump.lines().limit(3).toList());
        }
        return new VcpuRegisters(cpu, all.get("RIP"), all.getOrDefault("RSP", 0L), all.getOrDefault("RFL", 0L),
                all.getOrDefault("CR0", 0L), all.getOrDefault("CR2", 0L), all.get("CR3"), all.getOrDefault("CR4", 0L),
                all);
    }

    private static void put(Map<String, Long> all, String name, String hex) {
        if (hex.length() <= 16) {
            all.putIfAbsent(name.toUpperCase(Locale.ROOT), Long.parseUnsignedLong(hex, 16));
        }
    }
}
