package dev.jktstr.cli.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.cli.Jktstr;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jktstr report}: input from an index or a scan, the matrix, escaping, self-containment, bad input. */
class HtmlReportTest {

    @Test
    void indexDrivesTheMatrixAndEveryRunGetsASection(@TempDir Path dir) throws Exception {
        ReportFixture.copyTo(dir);
        HtmlReport.Written w = HtmlReport.write(dir, dir.resolve("out/report.html"));
        String html = Files.readString(w.file());
        assertThat(w.runs()).isEqualTo(6);
        assertThat(w.warnings()).singleElement().asString().startsWith("runs/broken.json: unreadable");
        assertThat(html).contains("runs/broken.json: unreadable");
        // rows scenario x scheduler, columns the presets (sorted), a link per run to its section
        assertThat(html).contains("<th>numa2-4llc</th><th>odd-3llc</th><th>tiny-1llc</th><th>tiny-2llc</th>");
        for (int i = 0; i < 6; i++) {
            assertThat(html).contains("href=\"#run-" + i + "\"").contains("id=\"run-" + i + "\"");
        }
        assertThat(html).contains("<td class=\"o-ERROR\">", "<td class=\"o-FAIL\">", "<td class=\"o-SKIP\">",
                "<td class=\"o-PASS\">", "<td class=\"o-INCONCLUSIVE\">");
        assertThat(html).contains("1 PASS".replace("1", "2")).contains("1 FAIL, 1 INCONCLUSIVE, 1 SKIP, 1 ERROR");
        // the FAIL run's evidence: the scheduler's exit from kmsg, shown first
        assertThat(html).contains("<div class=\"failure\">").contains("sched_ext: BPF scheduler &quot;simple&quot; disabled");
        // ... and the failure dump beside its result file: linked, with the exit it recorded and the end of kmsg
        assertThat(html).contains("<a href=\"runs/mixed-scx_simple-2llc.failure-dump.json\">")
                .contains("SCX_EXIT_ERROR_BPF (scx_bpf_error)").contains("init[136] on CPU 1")
                .contains("scx_bpf_error_bstr+0x66/0x80").contains("the last 2 of 2 records")
                .contains("&lt;b&gt;evil&lt;/b&gt; dump message").doesNotContain("<img src=y");
        // v2 run: monitor charts; v1 run: says it has no series, still charts its workers
        assertThat(html).contains("data-chart=\"nrRunning\"", "data-chart=\"dsqDepth\"", "data-chart=\"progress\"",
                "data-chart=\"gap\"", "data-chart=\"wake\"").contains("format version 1 keeps none");
        assertThat(w.charts()).isEqualTo(count(html, "<canvas ")).isEqualTo(4 + 5 + 1); // v2 PASS: 4; v2 FAIL (wake samples): 5; v1: the gap chart alone
    }

    @Test
    void guestTextIsEscapedEverywhere(@TempDir Path dir) throws Exception {
        ReportFixture.copyTo(dir);
        String html = Files.readString(HtmlReport.write(dir, dir.resolve("r.html")).file());
        String page = html.substring(html.indexOf("<body>")); // past the inlined library
        assertThat(page).doesNotContain("<script>alert", "<img src=x", "<b>evil</b>", "cg_<i>0</i>", "\u001b", "\u0007")
                .contains("&lt;script&gt;alert(&quot;kmsg&quot;)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;",
                        "cg_\\u003ci\\u003e0"); // a cgroup name shows in chart data only
        // the only </script> are the page's own: one per script element
        assertThat(count(page, "</script>")).isEqualTo(count(page, "<script"));
        assertThat(page).contains("cg_\\u003c/script\\u003e0"); // in the chart data, as a JSON escape
    }

    @Test
    void pageIsSelfContained(@TempDir Path dir) throws Exception {
        ReportFixture.copyTo(dir);
        String html = Files.readString(HtmlReport.write(dir, dir.resolve("r.html")).file());
        assertThat(html).doesNotContainPattern("<script[^>]+src=").doesNotContainPattern("<link[^>]+href=")
                .doesNotContain("sourceMappingURL").contains("Content-Security-Policy").contains("Chart.js v4.4.1");
    }

    @Test
    void withoutAnIndexTheResultFilesAreFoundAndDumpsAndTheIndexSkipped(@TempDir Path dir) throws Exception {
        ReportFixture.copyTo(dir);
        Files.delete(dir.resolve("index.json"));
        Files.writeString(dir.resolve("notes.json"), "[1, 2]");
        ReportInput in = ReportInput.load(dir);
        assertThat(in.runs()).extracting(ReportRun::scenario).containsExactly("mixed", "steady", "steady");
        assertThat(in.runs()).extracting(ReportRun::preset).containsExactly("1,2,1,1", "1,2,1,1", "1,2,1,1");
        assertThat(in.warnings()).hasSize(2).anySatisfy(w -> assertThat(w).startsWith("notes.json: not a jktstr result"))
                .anySatisfy(w -> assertThat(w).startsWith("runs/broken.json: unreadable"));
        assertThat(in.indexMeta()).isEmpty();
    }

    @Test
    void aBrokenIndexFallsBackToScanningAndAnIndexPathMayNotLeaveTheDirectory(@TempDir Path dir) throws Exception {
        ReportFixture.copyTo(dir);
        Files.writeString(dir.resolve("index.json"), "{\"kind\": \"something else\"}");
        ReportInput in = ReportInput.load(dir);
        assertThat(in.runs()).hasSize(3);
        assertThat(in.warnings()).anySatisfy(w -> assertThat(w).startsWith("index.json: unreadable"));

        Files.writeString(dir.resolve("index.json"), """
                {"kind": "jktstr-gauntlet-index", "version": 1, "runs": [
                  {"scenario": "s", "scheduler": "x", "preset": "p", "kernel": "k", "outcome": "PASS",
                   "result": "../../etc/passwd", "wallMs": 1},
                  {"scenario": "s", "scheduler": "x", "preset": "q", "kernel": "k", "outcome": "FAIL",
                   "result": "runs/nope.json", "wallMs": 1}]}""");
        in = ReportInput.load(dir);
        assertThat(in.runs()).extracting(ReportRun::problem).containsExactly("outside the results directory",
                "missing (the index names it, the directory has no such file)");
        assertThat(in.warnings()).containsExactly("../../etc/passwd: outside the results directory",
                "runs/nope.json: missing (the index names it, the directory has no such file)");
    }

    @Test
    void cliExitsTwoNamingAMissingDirectory(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        var cl = Jktstr.commandLine();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        assertThat(cl.execute("report", dir.resolve("nope").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("no results directory at").contains("nope");
        assertThatThrownBy(() -> ReportInput.load(dir.resolve("nope"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cliWritesTheReportAndWarnsOnStderr(@TempDir Path dir) throws Exception {
        ReportFixture.copyTo(dir);
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Jktstr.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(out, true));
        assertThat(cl.execute("report", dir.toString())).isZero();
        assertThat(dir.resolve("report.html")).isRegularFile();
        assertThat(out.toString()).contains("report: ").contains("(6 runs, 10 charts)");
        assertThat(err.toString()).contains("warning: runs/broken.json: unreadable");
    }

    static int count(String s, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
