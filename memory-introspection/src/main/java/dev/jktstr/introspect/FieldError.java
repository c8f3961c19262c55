package dev.jktstr.introspect;

import java.util.List;
import java.util.function.Supplier;

/**
 * One field a walker could not read: where, which exception type, and why. Walkers keep going after
 * an error, so a snapshot of a corrupted kernel is partial, not absent.
 *
 * @param path what was being read, e.g. {@code rq[2].curr.comm} or {@code map[7].values}
 * @param error the simple name of the exception type, e.g. {@code UnmappedAddressException}
 */
public record FieldError(String path, String error, String message) {

    static FieldError of(String path, RuntimeException e) {
        return new FieldError(path, e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
    }

    /** Runs {@code read}; on failure records a {@link FieldError} under {@code path} and returns null. */
    static <T> T attempt(List<FieldError> errors, String path, Supplier<T> read) {
        try {
            return read.get();
        } catch (RuntimeException e) {
            // Guest memory is untrusted: any runtime failure while decoding it is a field error, not a crash.
            errors.add(of(path, e));
            return null;
        } catch (OutOfMemoryError e) {
            // A guest-sized allocation the budgets did not foresee: this field is lost, the host keeps going.
            errors.add(new FieldError(path, "OutOfMemoryError", "the host ran out of memory reading this field"));
            return null;
        } catch (StackOverflowError e) {
            errors.add(new FieldError(path, "StackOverflowError", "recursion too deep"));
            return null;
        }
    }
}
