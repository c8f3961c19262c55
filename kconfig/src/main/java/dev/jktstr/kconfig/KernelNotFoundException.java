package dev.jktstr.kconfig;

import java.util.List;

/** No kernel where one was looked for; the message lists every place tried and how to get one. */
public final class KernelNotFoundException extends KconfigException {

    private final List<String> tried;

    public KernelNotFoundException(String what, List<String> tried) {
        this(what, tried, "Get one with `jktstr kernel build --debian`, "
                + "or point --kernel / JKTSTR_KERNEL at a kernel directory or bzImage.");
    }

    /** With {@code hint}, the one thing to do next (e.g. the exact build command), in place of the general one. */
    public KernelNotFoundException(String what, List<String> tried, String hint) {
        super(what + "; tried:" + System.lineSeparator() + "  " + String.join(System.lineSeparator() + "  ", tried)
                + System.lineSeparator() + hint);
        this.tried = List.copyOf(tried);
    }

    /** Each place looked at, with why it did not qualify. */
    public List<String> tried() {
        return tried;
    }
}
