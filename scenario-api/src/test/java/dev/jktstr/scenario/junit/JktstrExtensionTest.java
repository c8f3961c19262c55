package dev.jktstr.scenario.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.testsupport.SharedAssets;
import dev.jktstr.scenario.Assert;
import dev.jktstr.scenario.CgroupDef;
import dev.jktstr.scenario.Ctx;
import dev.jktstr.scenario.Outcome;
import dev.jktstr.scenario.RunResult;
import dev.jktstr.scenario.Scenarios;
import dev.jktstr.machine.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class JktstrExtensionTest {

    private static String kernelPropertyBefore;

    @BeforeAll
    static void kernel() {
        kernelPropertyBefore = System.getProperty(Ctx.KERNEL_PROPERTY);
        SharedAssets.findKernelFile("bzImage")
                .ifPresent(bz -> System.setProperty(Ctx.KERNEL_PROPERTY, bz.getParent().toString()));
    }

    /** The property is JVM-wide: put back what other test classes in this fork saw before. */
    @AfterAll
    static void restoreKernelProperty() {
        if (kernelPropertyBefore == null) {
            System.clearProperty(Ctx.KERNEL_PROPERTY);
        } else {
            System.setProperty(Ctx.KERNEL_PROPERTY, kernelPropertyBefore);
        }
    }

    @BootsVm
    @JktstrTest(llcs = 1, cores = 2, threads = 1, memoryMib = 256, durationMs = 2000)
    void steadyPassesInAGuest(Ctx ctx) {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty(Ctx.KERNEL_PROPERTY) != null, "no shared test kernel");
        RunResult r = Scenarios.run(ctx, Scenarios.steady());
        assertThat(ctx.topology().cpuCount()).isEqualTo(2);
        assertThat(r.outcome()).isEqualTo(Outcome.PASS);
    }

    /** Methods the condition is asked about (never run: nested classes are not test classes here). */
    static final class Fixtures {
        @JktstrTest(kernel = "/nonexistent/kernel-dir")
        void noKernel(Ctx ctx) {
        }

        @JktstrTest(scheduler = "/nonexistent/scx_none", kernel = "/nonexistent/kernel-dir")
        void invalidScheduler(Ctx ctx) {
        }

        void plain() {
        }

        @JktstrTest(preset = "smt-3llc", numaNodes = 9)
        void onAPreset(Ctx ctx) {
        }
    }

    private static ConditionEvaluationResult condition(String method) throws NoSuchMethodException {
        java.lang.reflect.Method m = java.util.Arrays.stream(Fixtures.class.getDeclaredMethods())
                .filter(x -> x.getName().equals(method)).findFirst().orElseThrow();
        ExtensionContext e = (ExtensionContext) java.lang.reflect.Proxy.newProxyInstance(getClass0().getClassLoader(),
                new Class<?>[] {ExtensionContext.class}, (proxy, called, args) -> switch (called.getName()) {
                    case "getTestMethod" -> Optional.of(m);
                    default -> throw new UnsupportedOperationException(called.getName());
                });
        return new JktstrExtension().evaluateExecutionCondition(e);
    }

    private static Class<?> getClass0() {
        return JktstrExtensionTest.class;
    }

    /** Without a kernel the test is skipped before anything boots, with the lookup's message (what it tried). */
    @Test
    void aPresetReplacesTheCounts() throws Exception {
        java.lang.reflect.Method m = java.util.Arrays.stream(Fixtures.class.getDeclaredMethods())
                .filter(x -> x.getName().equals("onAPreset")).findFirst().orElseThrow();
        assertThat(JktstrExtension.topology(m.getAnnotation(JktstrTest.class)))
                .isEqualTo(new dev.jktstr.machine.Topology(1, 3, 2, 2));
    }

    @Test
    void noKernelSkipsWithTheLookupMessage() throws Exception {
        ConditionEvaluationResult r = condition("noKernel");
        assertThat(r.isDisabled()).isTrue();
        assertThat(r.getReason()).hasValueSatisfying(reason -> assertThat(reason)
                .startsWith("no kernel to boot: kernel: no kernel at /nonexistent/kernel-dir").contains("tried:"));
        // an invalid VM is not a skip: resolving its Ctx fails the test
        assertThat(condition("invalidScheduler").isDisabled()).isFalse();
        assertThat(condition("plain").isDisabled()).isFalse();
    }

    private static RunResult result(Assert thresholds) {
        var stats = new dev.jktstr.scenario.CgroupStats("cg_0", "SPIN_WAIT", false, Optional.empty(), List.of(
                new dev.jktstr.guest.WorkerTelemetry(1, true, 10, 10, 1, 1_000_000_000L, 0, 1, 0, List.of(0), 5_000_000_000L,
                        0, 0, 0, 0, 0, 0, 0, 0)));
        return new RunResult("t", Instant.EPOCH, Duration.ZERO, Duration.ZERO, "k", "i", new Topology(1, 1, 1, 1), "b",
                "eevdf", "", Optional.empty(), List.of(stats), thresholds.check(List.of(stats)));
    }

    @Test
    void outcomesMapOntoJunit() {
        JktstrExtension.judge(List.of());
        JktstrExtension.judge(List.of(result(Assert.defaults().withMaxGapMs(Double.NaN))));
        assertThatThrownBy(() -> JktstrExtension.judge(List.of(result(Assert.defaults()))))
                .isInstanceOf(AssertionFailedError.class).hasMessageContaining("cg_0.maxGapMs");
        RunResult skipped = result(Assert.defaults().withMaxGapMs(Double.NaN));
        skipped.verdict().skip("not applicable here");
        assertThatThrownBy(() -> JktstrExtension.judge(List.of(skipped)))
                .isInstanceOf(TestAbortedException.class).hasMessageContaining("not applicable here");
        assertThat(CgroupDef.named("x").workers()).isEqualTo(1);
    }
}
