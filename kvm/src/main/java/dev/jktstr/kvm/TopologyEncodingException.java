package dev.jktstr.kvm;

/**
 * A topology (or a table layout) that CPUID, ACPI or the MP table cannot express; the message names
 * the limit that was hit, e.g. the 8-bit APIC ids of the MP table.
 */
public final class TopologyEncodingException extends KvmException {

    public TopologyEncodingException(String message) {
        super(message);
    }
}
