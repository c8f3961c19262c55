package dev.jktstr.cli;

/** One line of {@code jktstr doctor}: a verdict, what was found, and what to do when it is not ok. */
record Check(Status status, String title, String detail, String fix) {

    enum Status {
        OK("ok"),
        WARN("warn"),
        FAIL("FAIL");

        final String label;

        Status(String label) {
            this.label = label;
        }
    }

    static Check ok(String title, String detail) {
        return new Check(Status.OK, title, detail, "");
    }

    static Check warn(String title, String detail, String fix) {
        return new Check(Status.WARN, title, detail, fix);
    }

    static Check fail(String title, String detail, String fix) {
        return new Check(Status.FAIL, title, detail, fix);
    }
}
