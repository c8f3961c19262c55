package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.BootsVm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java block, exactly as written: compiled and run, and fed to jshell. Each boots a guest. */
@BootsVm
class ReadmeSnippetTest {

    static List<String> snippet() throws IOException {
        Path readme = Path.of(System.getProperty("jktstr.repo.root", "..")).resolve("scenario-api/README.md");
        List<String> lines = Files.readAllLines(readme);
        int start = lines.indexOf("```java");
        assertThat(start).as("a ```java block in " + readme).isNotNegative();
        int end = lines.subList(start + 1, lines.size()).indexOf("```") + start + 1;
        List<String> block = lines.subList(start + 1, end);
        assertThat(block.stream().filter(l -> !l.isBlank()).count()).as("lines of the README scenario").isLessThanOrEqualTo(10);
        return block;
    }

    static String kernel() {
        Path dir = TestAssets.kernelDir();
        return dir.toString();
    }

    @Test
    void theReadmeSnippetCompilesAndRuns(@TempDir Path dir) throws Exception {
        String kernel = kernel();
        List<String> block = snippet();
        List<String> imports = block.stream().filter(l -> l.startsWith("import ")).toList();
        List<String> body = block.stream().filter(l -> !l.startsWith("import ")).toList();
        String source = String.join("\n", imports) + "\npublic class Snippet {\n    public static void main(String[] args) throws Exception {\n"
                + String.join("\n", body) + "\n    }\n}\n";
        Path src = dir.resolve("Snippet.java");
        Files.writeString(src, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assumeTrue(javac != null, "no Java compiler in this JDK");
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        int rc = javac.run(null, diag, diag, "-d", dir.toString(), "-cp", classPath(), src.toString());
        assertThat(rc).as(diag.toString()).isZero();

        String old = System.setProperty(Ctx.KERNEL_PROPERTY, kernel);
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            loader.loadClass("Snippet").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(stdout);
            if (old == null) {
                System.clearProperty(Ctx.KERNEL_PROPERTY);
            } else {
                System.setProperty(Ctx.KERNEL_PROPERTY, old);
            }
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        System.out.print("README snippet printed:\n" + out);
        assertThat(out).contains("cg_0.maxGapMs").contains("verdict: PASS");
    }

    @Test
    void jshellRunsTheSnippetAndPrintsTheVerdict(@TempDir Path dir) throws Exception {
        String kernel = kernel();
        Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
        assumeTrue(Files.isExecutable(jshell), "no jshell in " + System.getProperty("java.home"));
        Path script = dir.resolve("run.jsh");
        List<String> lines = new ArrayList<>(snippet());
        lines.add("/exit");
        Files.write(script, lines);
        Process p = new ProcessBuilder(jshell.toString(), "--class-path", classPath(),
                "-R--enable-native-access=ALL-UNNAMED", "-R-D" + Ctx.KERNEL_PROPERTY + "=" + kernel, script.toString())
                .redirectErrorStream(true).start();
        byte[] out;
        try {
            p.getOutputStream().close();
            out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        String text = new String(out, StandardCharsets.UTF_8);
        System.out.print("jshell printed:\n" + text);
        assertThat(text).contains("cg_0.maxGapMs").contains("verdict: PASS");
        assertThat(p.exitValue()).isZero();
    }

    /** The test class path (surefire may hide it in a manifest-only jar). */
    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isEmpty() ? cp : System.getProperty("java.class.path");
    }
}
