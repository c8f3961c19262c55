package dev.jktstr.introspect;

/** A kernel-virtual address that does not translate to guest RAM (not mapped, or mapped outside RAM). */
public final class UnmappedAddressException extends IntrospectionException {
    private static final long serialVersionUID = 1L;
    private final long virtualAddress;

    public UnmappedAddressException(long virtualAddress, String why) {
        super(String.format("kernel address 0x%x %s", virtualAddress, why));
        this.virtualAddress = virtualAddress;
    }

    public long virtualAddress() {
        return virtualAddress;
    }
}
