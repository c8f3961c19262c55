package dev.jktstr.bindgen;

import dev.jktstr.bindgen.Model.Record;

/**
 * The layout probe's manifest ({@value JavaEmitter#MANIFEST_FILE}): every record, field, bitfield and
 * constant a group's classes expose, in the order the emitters write them, for LayoutProbeTest to compare
 * with a gcc-compiled probe.
 */
final class LayoutManifest {

    private final StringBuilder text = new StringBuilder();

    LayoutManifest(Model.Group group) {
        text.append("# ").append(JavaEmitter.MARKER).append(" from ").append(String.join(", ", group.headers()))
                .append("; do not edit.\n");
        text.append("# What LayoutProbeTest compares with a gcc-compiled probe: records (size, alignment),\n");
        text.append("# fields (offset, size), bitfields (bits set by the setter) and constants (value).\n");
        for (String header : group.headers()) {
            text.append("header\t").append(header).append('\n');
        }
        for (String include : group.includes()) {
            text.append("include\t").append(include).append('\n');
        }
        for (String define : group.defines()) {
            text.append("define\t").append(define).append('\n');
        }
    }

    void constant(String name) {
        text.append("const\t").append(name).append('\n');
    }

    void record(Record record) {
        text.append("record\t").append(record.binaryName()).append('\t').append(record.cType).append('\n');
    }

    /** A field; {@code flexible} for a flexible array, whose size the probe does not compare. */
    void field(Record owner, String cName, String javaName, boolean flexible) {
        text.append("field\t").append(owner.binaryName()).append('\t').append(cName).append('\t')
                .append(javaName).append('\t').append(flexible ? "flexible" : "fixed").append('\n');
    }

    /** A bitfield and the Java type of its accessors ({@code int} or {@code long}). */
    void bitField(Record owner, String cName, String javaName, String javaType) {
        text.append("bitfield\t").append(owner.binaryName()).append('\t').append(cName).append('\t')
                .append(javaName).append('\t').append(javaType).append('\n');
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
