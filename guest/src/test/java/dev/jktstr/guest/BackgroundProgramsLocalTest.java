package dev.jktstr.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's payload tool (payload_tool.c) driven through the real agent on the host (--stdio, no VM): start, the
 * end with status and output tail, the errno of a program that cannot start, and a kill that takes the program's
 * whole process group with it.
 */
class BackgroundProgramsLocalTest {
    static LocalAgent agent;
    static BackgroundPrograms programs;

    @BeforeAll
    static void start() throws IOException {
        agent = new LocalAgent();
        programs = new BackgroundPrograms(agent.client, agent.binary.toString());
    }

    @AfterAll
    static void stop() throws IOException {
        if (agent != null) {
            agent.close();
        }
    }

    private static BackgroundPrograms.Ended awaitEnd(String dir) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Optional<BackgroundPrograms.Ended> end;
        while ((end = programs.ended(dir)).isEmpty()) {
            assertThat(System.nanoTime()).as("the program's end within 10 s").isLessThan(deadline);
            Thread.sleep(20);
        }
        return end.get();
    }

    /** Whether {@code pid} exists and is not a zombie (on the host nobody may reap the orphans). */
    private static boolean running(long pid) throws IOException {
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (!Files.exists(stat)) {
            return false;
        }
        try {
            String s = Files.readString(stat);
            return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    @Test
    void exitStatusAndTheTailOfItsOutput(@TempDir Path dir) throws Exception {
        String d = dir.resolve("p1").toString();
        int pid = programs.start(d, "", 16, List.of("sh", "-c", "echo 0123456789abcdef-head; echo tail >&2; exit 3"));
        assertThat(pid).isPositive();
        BackgroundPrograms.Ended end = awaitEnd(d);
        assertThat(end.signaled()).isFalse();
        assertThat(end.code()).isEqualTo(3);
        assertThat(new String(end.outputTail(), StandardCharsets.UTF_8)).isEqualTo("bcdef-head\ntail\n");
        assertThat(end.outputBytes()).isEqualTo(27);
        assertThat(end.droppedBytes()).isEqualTo(11);
    }

    @Test
    void aProgramThatCannotStartSaysTheErrno(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> programs.start(dir.resolve("p2").toString(), "", 100, List.of("/nonexistent/prog")))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.errnoName()).hasValue("ENOENT"))
                .hasMessageContaining("exec /nonexistent/prog");
        Path notExecutable = Files.writeString(dir.resolve("data.txt"), "not a program\n");
        assertThatThrownBy(() -> programs.start(dir.resolve("p3").toString(), "", 100, List.of(notExecutable.toString())))
                .isInstanceOfSatisfying(AgentException.class, e -> assertThat(e.errnoName()).hasValue("EACCES"));
        assertThatThrownBy(() -> programs.start(dir.resolve("p4").toString(), dir.resolve("no-cgroup").toString(), 100,
                List.of("true"))).isInstanceOfSatisfying(AgentException.class,
                        e -> assertThat(e.errnoName()).hasValue("ENOENT")).hasMessageContaining("joining cgroup");
    }

    @Test
    void killEndsTheWholeProcessGroup(@TempDir Path dir) throws Exception {
        String d = dir.resolve("p5").toString();
        Path marker = dir.resolve("child-pid");
        int pid = programs.start(d, "", 100, List.of("sh", "-c", "sleep 600 & echo $! > \"$1\"; sleep 600", "sh",
                marker.toString()));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(marker) || Files.readString(marker).isBlank()) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(20);
        }
        long child = Long.parseLong(Files.readString(marker).strip());
        assertThat(programs.ended(d)).isEmpty();
        programs.kill(d, pid);
        BackgroundPrograms.Ended end = awaitEnd(d);
        assertThat(end.signaled()).isTrue();
        assertThat(end.code()).isEqualTo(9);
        // the background sleep of the killed shell went with it (its group), and the shell is reaped
        deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (running(child) || running(pid)) {
            assertThat(System.nanoTime()).as("no leftovers of the killed program").isLessThan(deadline);
            Thread.sleep(20);
        }
        programs.kill(d, pid); // ended: left alone, no error
    }
}
