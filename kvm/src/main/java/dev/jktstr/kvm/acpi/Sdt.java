package dev.jktstr.kvm.acpi;

/**
 * A System Description Table under construction: the 36-byte header (signature, length, revision,
 * checksum, OEM ids, creator) followed by the body; {@link #finish()} fills in length and checksum.
 */
final class Sdt {

    static final int HEADER_LENGTH = 36;
    private static final int LENGTH_OFFSET = 4;
    private static final int CHECKSUM_OFFSET = 9;

    final ByteWriter body = new ByteWriter();

    Sdt(String signature, int revision, OemIds oem) {
        body.ascii(signature, 4, ' ')
                .u32(0) // length, patched by finish()
                .u8(revision)
                .u8(0) // checksum, patched by finish()
                .ascii(oem.oemId(), 6, ' ')
                .ascii(oem.oemTableId(signature), 8, ' ')
                .u32(oem.oemRevision())
                .ascii(oem.creatorId(), 4, ' ')
                .u32(oem.creatorRevision());
    }

    byte[] finish() {
        body.putU32(LENGTH_OFFSET, body.size());
        body.checksum(0, body.size(), CHECKSUM_OFFSET);
        return body.toArray();
    }
}
