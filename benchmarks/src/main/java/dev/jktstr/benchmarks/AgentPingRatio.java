package dev.jktstr.benchmarks;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/** Runs {@link AgentPingBenchmark} and prints agent ping vs raw pipe echo and their ratio. */
public final class AgentPingRatio {
    private AgentPingRatio() {}

    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(AgentPingBenchmark.class.getName())
                .timeUnit(TimeUnit.MICROSECONDS)
                .build()).run();
        double agent = Double.NaN;
        double pipe = Double.NaN;
        for (RunResult r : results) {
            String label = r.getParams().getBenchmark();
            double score = r.getPrimaryResult().getScore();
            if (label.endsWith("agentPing")) {
                agent = score;
            } else if (label.endsWith("pipeEcho")) {
                pipe = score;
            }
        }
        System.out.printf("control protocol round trip: AgentClient.ping %.1f us, raw pipe echo %.1f us, ratio %.2f%n",
                agent, pipe, agent / pipe);
    }
}
