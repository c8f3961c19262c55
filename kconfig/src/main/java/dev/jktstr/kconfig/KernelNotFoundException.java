package dev.jktstr.kconfig;

import java.util.List;

/**
 * No kernel where one was looked for; the message lists every place tried and how to get one. The default advice
 * is the command line's ({@link #CLI_ADVICE}); a finder that knows the one thing to do next (the exact build command)
 * gives it instead, and a layer with other ways to name a kernel (the Java API) words its own message with
 * {@link #withAdvice(String)}, so a library user is not told about flags they cannot pass.
 */
public final class KernelNotFoundException extends KconfigException {

    /** How a command-line user gets or names a kernel. */
    public static final String CLI_ADVICE = "Get one with `jktstr kernel build --debian`, "
            + "or point --kernel / JKTSTR_KERNEL at a kernel directory or bzImage.";

    private final String what;
    private final List<String> tried;

    public KernelNotFoundException(String what, List<String> tried) {
        this(what, tried, CLI_ADVICE);
    }

    /** With {@code hint}, the one thing to do next (e.g. the exact build command), in place of the general one. */
    public KernelNotFoundException(String what, List<String> tried, String hint) {
        super(describe(what, tried, hint));
        this.what = what;
        this.tried = List.copyOf(tried);
    }

    private static String describe(String what, List<String> tried, String advice) {
        return what + "; tried:" + System.lineSeparator() + "  " + String.join(System.lineSeparator() + "  ", tried)
                + System.lineSeparator() + advice;
    }

    /** What was missing and where it was looked for, followed by {@code advice} instead of the CLI's. */
    public String withAdvice(String advice) {
        return describe(what, tried, advice);
    }

    /** Each place looked at, with why it did not qualify. */
    public List<String> tried() {
        return tried;
    }
}
