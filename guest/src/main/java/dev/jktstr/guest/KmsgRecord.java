package dev.jktstr.guest;

/**
 * One record of the guest kernel log as /dev/kmsg hands it out ({@code "prio,seq,usec,flags;message"}).
 *
 * @param level           syslog level (0 emergency .. 7 debug)
 * @param facility        syslog facility (0 = kernel)
 * @param sequence        the record's sequence number
 * @param timestampMicros microseconds since boot
 * @param message         the text, without continuation (dictionary) lines
 */
public record KmsgRecord(int level, int facility, long sequence, long timestampMicros, String message) {

    /** Parses a raw record; malformed ones (the guest is untrusted) come back whole as the message, level 7. */
    static KmsgRecord parse(String raw) {
        int semi = raw.indexOf(';');
        int newline = raw.indexOf('\n');
        String text = semi < 0 ? raw : raw.substring(semi + 1, newline > semi ? newline : raw.length());
        if (semi > 0) {
            String[] fields = raw.substring(0, semi).split(",");
            if (fields.length >= 3) {
                try {
                    int prio = Integer.parseInt(fields[0]);
                    return new KmsgRecord(prio & 7, prio >> 3, Long.parseLong(fields[1]), Long.parseLong(fields[2]), text);
                } catch (NumberFormatException ignored) {
                    // fall through: keep the whole record as text
                }
            }
        }
        return new KmsgRecord(7, 0, -1, -1, raw);
    }
}
