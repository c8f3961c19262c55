package dev.jktstr.kvm.acpi;

/**
 * The identification every ACPI table header carries. {@code oemId} is 6 ASCII characters, the table
 * id 8 (the default derives it from the signature, e.g. {@code JKTSAPIC}), the creator id 4.
 */
public record OemIds(String oemId, String oemTableIdPrefix, int oemRevision, String creatorId, int creatorRevision) {

    public static final OemIds JKTSTR = new OemIds("JKTSTR", "JKTS", 1, "JKTS", 1);

    public OemIds {
        requireAscii("oemId", oemId, 6);
        requireAscii("oemTableIdPrefix", oemTableIdPrefix, 4);
        requireAscii("creatorId", creatorId, 4);
    }

    private static void requireAscii(String field, String value, int max) {
        if (value == null || value.length() > max || !value.chars().allMatch(c -> c >= 0x20 && c < 0x7F)) {
            throw new IllegalArgumentException(field + " must be at most " + max + " printable ASCII characters: " + value);
        }
    }

    String oemTableId(String signature) {
        return oemTableIdPrefix + signature;
    }
}
