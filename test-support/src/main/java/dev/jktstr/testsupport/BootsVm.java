package dev.jktstr.testsupport;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a test class (or method) that boots a guest: it runs in Surefire's {@code vm-tests} execution,
 * reported apart from the unit tests; {@code -Djktstr.skipVmTests=true} leaves them out,
 * {@code -Djktstr.skipUnitTests=true} runs them alone.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(BootsVm.TAG)
public @interface BootsVm {
    String TAG = "vm";
}
