package dev.jktstr.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.VerboseMode;

/** What JMH's annotation processor generated: the example with its scheduler parameters and the guest metrics. */
class BenchmarkListTest {

    @Test
    void theExampleComparesEevdfWithScxSimpleInOneRun() {
        Set<BenchmarkListEntry> entries = BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT),
                java.util.List.of("SchedulerComparisonBenchmark"), java.util.List.of());
        assertThat(entries).hasSize(1);
        BenchmarkListEntry e = entries.iterator().next();
        assertThat(e.getUsername()).isEqualTo("dev.jktstr.jmh.SchedulerComparisonBenchmark.mixedStep");
        assertThat(e.getParams().get().get("scheduler")).containsExactly("eevdf", "scx_simple");
        assertThat(e.getParams().get().get("kernel")).containsExactly("");
        assertThat(e.getJvmArgsAppend().get()).contains("--enable-native-access=ALL-UNNAMED");
        // the options a user builds programmatically name it the same way
        assertThat(new OptionsBuilder().include("SchedulerComparisonBenchmark").build().getIncludes())
                .containsExactly("SchedulerComparisonBenchmark");
        Set<String> modes = entries.stream().map(x -> x.getMode().shortLabel()).collect(Collectors.toSet());
        assertThat(modes).containsExactly("ss");
    }
}
