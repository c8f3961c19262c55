package dev.jktstr.scenario.junit;

import dev.jktstr.scenario.Ctx;
import dev.jktstr.scenario.ExpectedSchedulerError;
import dev.jktstr.scenario.InvalidScenarioException;
import dev.jktstr.scenario.Outcome;
import dev.jktstr.scenario.RunResult;
import dev.jktstr.scenario.ScenarioException;
import dev.jktstr.scenario.Scheduler;
import dev.jktstr.scenario.Vm;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * Boots (or reuses) the guest a {@link JktstrTest} asks for and maps its runs' outcomes onto JUnit. A test whose
 * kernel cannot be found is skipped (disabled) with the kernel lookup's message, every place it tried, before
 * anything boots.
 */
public final class JktstrExtension implements ExecutionCondition, ParameterResolver, InvocationInterceptor {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(JktstrExtension.class);

    /** Closes the shared guest when the test run ends (JUnit closes AutoCloseable store values). */
    private record SharedCtx(Ctx ctx) implements AutoCloseable {
        @Override
        public void close() {
            ctx.close();
        }
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext e) {
        JktstrTest t = e.getTestMethod().map(m -> m.getAnnotation(JktstrTest.class)).orElse(null);
        if (t == null) {
            return ConditionEvaluationResult.enabled("not a @JktstrTest method");
        }
        Vm vm;
        try {
            vm = vm(t);
        } catch (InvalidScenarioException ex) {
            return ConditionEvaluationResult.enabled("an invalid VM fails the test when its Ctx is resolved");
        }
        try {
            vm.kernelImage();
            return ConditionEvaluationResult.enabled("kernel found");
        } catch (ScenarioException ex) {
            return ConditionEvaluationResult.disabled("no kernel to boot: " + ex.getMessage());
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        return p.getParameter().getType() == Ctx.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        JktstrTest t = e.getRequiredTestMethod().getAnnotation(JktstrTest.class);
        if (t == null) {
            throw new ParameterResolutionException("a Ctx parameter needs @JktstrTest on the method");
        }
        String key = topology(t) + "/" + t.memoryMib() + "/"
                + t.scheduler() + " " + String.join(" ", t.schedulerArgs()) + "/" + t.kernel();
        Ctx ctx = e.getRoot().getStore(NS).getOrComputeIfAbsent(key, k -> new SharedCtx(boot(t)), SharedCtx.class).ctx();
        return ctx.duration(Duration.ofMillis(t.durationMs())).expectSchedulerError(expectedError(t))
                .schedulerWatchdog(t.watchdogMs() == 0 ? null : Duration.ofMillis(t.watchdogMs()));
    }

    /** The test's expected scheduler error (set per test: tests share a booted context), or null. */
    static ExpectedSchedulerError expectedError(JktstrTest t) {
        if (!t.expectSchedulerError().isEmpty() && !t.expectSchedulerErrorMatching().isEmpty()) {
            throw new ParameterResolutionException("@JktstrTest: give expectSchedulerError or expectSchedulerErrorMatching, not both");
        }
        return !t.expectSchedulerError().isEmpty() ? ExpectedSchedulerError.containing(t.expectSchedulerError())
                : !t.expectSchedulerErrorMatching().isEmpty() ? ExpectedSchedulerError.matching(t.expectSchedulerErrorMatching())
                : null;
    }

    /** The preset when one is named, else the four counts. */
    static dev.jktstr.machine.Topology topology(JktstrTest t) {
        return t.preset().isEmpty() ? new dev.jktstr.machine.Topology(t.numaNodes(), t.llcs(), t.cores(), t.threads())
                : dev.jktstr.machine.Topology.preset(t.preset());
    }

    private static Ctx boot(JktstrTest t) {
        return vm(t).boot();
    }

    private static Scheduler scheduler(JktstrTest t) {
        Scheduler s = Scheduler.parse(t.scheduler());
        if (t.schedulerArgs().length == 0) {
            return s;
        }
        if (!(s instanceof Scheduler.Binary b)) {
            throw new ParameterResolutionException("@JktstrTest: schedulerArgs need a scheduler binary, not " + t.scheduler());
        }
        return Scheduler.binary(b.path(), t.schedulerArgs());
    }

    private static Vm vm(JktstrTest t) {
        Vm.Builder b = Vm.builder().topology(topology(t)).memoryMib(t.memoryMib())
                .scheduler(scheduler(t)).duration(Duration.ofMillis(t.durationMs()));
        if (!t.kernel().isEmpty()) {
            b.kernel(Path.of(t.kernel()));
        }
        return b.build();
    }

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call, ExtensionContext e)
            throws Throwable {
        Ctx ctx = call.getArguments().stream().filter(Ctx.class::isInstance).map(Ctx.class::cast).findFirst().orElse(null);
        if (ctx == null) {
            invocation.proceed();
            return;
        }
        List<RunResult> runs = new ArrayList<>();
        Consumer<RunResult> listener = runs::add;
        ctx.onResult(listener);
        try {
            invocation.proceed();
        } finally {
            ctx.removeResultListener(listener);
        }
        judge(runs);
    }

    /** FAIL beats INCONCLUSIVE beats SKIP beats PASS. */
    static void judge(List<RunResult> runs) {
        RunResult worst = runs.stream().max(Comparator.comparingInt(r -> switch (r.outcome()) {
            case PASS -> 0;
            case SKIP -> 1;
            case INCONCLUSIVE -> 2;
            case FAIL -> 3;
        })).orElse(null);
        if (worst == null || worst.outcome() == Outcome.PASS) {
            return;
        }
        String msg = worst.scenario() + " under " + worst.scheduler() + ": " + worst.verdict() + "\n" + worst.verdict().table();
        if (worst.outcome() == Outcome.FAIL) {
            throw new AssertionFailedError(msg);
        }
        throw new TestAbortedException(msg);
    }
}
