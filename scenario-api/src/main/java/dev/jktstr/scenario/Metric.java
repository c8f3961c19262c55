package dev.jktstr.scenario;

import java.io.Serializable;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import java.util.function.ToDoubleFunction;

/**
 * A numeric metric of a subject, given as a method reference ({@code CgroupStats::maxGapMs}) so that its label
 * comes from code: the referenced method's name, read from the serialized form of the lambda.
 */
@FunctionalInterface
public interface Metric<T> extends ToDoubleFunction<T>, Serializable {

    /** The name of the referenced method, e.g. {@code maxGapMs}; a lambda that is not a method reference is rejected. */
    static String labelOf(Serializable lambda) {
        try {
            Method replace = lambda.getClass().getDeclaredMethod("writeReplace");
            replace.setAccessible(true);
            SerializedLambda s = (SerializedLambda) replace.invoke(lambda);
            String name = s.getImplMethodName();
            if (name.startsWith("lambda$")) {
                throw new IllegalArgumentException("claims need a method reference (Type::metric), not a lambda: labels come from code");
            }
            return name;
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalArgumentException("cannot read the label of " + lambda + " (pass a method reference)", e);
        }
    }
}
