package dev.jktstr.cli;

import dev.jktstr.cli.report.HtmlReport;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jktstr report DIR [-o FILE]}: one self-contained HTML page of a results directory (see cli/README.md). */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write one self-contained HTML report (opens from disk, no network) of a results directory: "
                + "the matrix from its index.json (or the result files found in it), each run's verdict, charts, "
                + "timeline and failure evidence.")
public final class ReportCommand implements Runnable {
    @Parameters(index = "0", paramLabel = "DIR", description = "Results directory (jktstr gauntlet's, or jktstr-results/).")
    Path dir;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "The HTML file (default: DIR/report.html).")
    Path output;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        Path out = output != null ? output : dir.resolve("report.html");
        HtmlReport.Written w = HtmlReport.write(dir, out);
        for (String warning : w.warnings()) {
            spec.commandLine().getErr().println("jktstr report: warning: " + dev.jktstr.machine.GuestText.line(warning));
        }
        spec.commandLine().getOut().println("report: " + out.toAbsolutePath() + " (" + w.runs() + " runs, "
                + w.charts() + " charts)");
        spec.commandLine().getOut().flush();
    }
}
