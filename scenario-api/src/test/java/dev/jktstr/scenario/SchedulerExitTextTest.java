package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The exit as 6.12 and scx_qmap word it (text taken from a real {@code scx_qmap -e 400} run). */
class SchedulerExitTextTest {
    private static final List<String> KMSG = List.of(
            "sched_ext: BPF scheduler \"qmap\" disabled (scx_bpf_error)",
            "sched_ext: qmap: test triggering error");
    private static final String OUTPUT = """
            DUMP BEGIN
            init[136] triggered exit kind 1025:
              scx_bpf_error (test triggering error)

            Backtrace:
              scx_bpf_error_bstr+0x66/0x80
              bpf_prog_f10064b0544f6211_qmap_enqueue+0xd7/0x321
              do_enqueue_task+0x11a/0x410

            CPU states
            ----------

            CPU 0   : nr_run=2 flags=0x1 cpu_rel=0 pnt_seq=40
                      curr=init[136] class=ext_sched_class

            CPU 1   : nr_run=1 flags=0x1 cpu_rel=0 pnt_seq=33
                      curr=init[133] class=ext_sched_class

            EXIT: scx_bpf_error (test triggering error)
            """;

    @Test
    void readsKindReasonMessageTaskCpuAndStack() {
        SchedulerExitText e = SchedulerExitText.parse(KMSG, OUTPUT);
        assertThat(e.found()).isTrue();
        assertThat(e.kind()).isEqualTo(1025);
        assertThat(e.kindName()).isEqualTo("SCX_EXIT_ERROR_BPF");
        assertThat(e.reason()).isEqualTo("scx_bpf_error");
        assertThat(e.message()).isEqualTo("test triggering error");
        assertThat(e.task()).isEqualTo("init[136]");
        assertThat(e.cpu()).isZero();
        assertThat(e.backtrace()).containsExactly("scx_bpf_error_bstr+0x66/0x80",
                "bpf_prog_f10064b0544f6211_qmap_enqueue+0xd7/0x321", "do_enqueue_task+0x11a/0x410");
    }

    @Test
    void aStallWithoutADumpStillHasReasonAndMessage() {
        SchedulerExitText e = SchedulerExitText.parse(List.of("sched_ext: BPF scheduler \"simple\" disabled (runnable task stall)",
                "sched_ext: simple: kworker/1:2[77] failed to run for 5.2s"), "");
        assertThat(e.reason()).isEqualTo("runnable task stall");
        assertThat(e.message()).isEqualTo("kworker/1:2[77] failed to run for 5.2s");
        assertThat(e.kind()).isEqualTo(-1);
        assertThat(e.cpu()).isEqualTo(-1);
        assertThat(e.backtrace()).isEmpty();
    }

    @Test
    void garbageFindsNothing() {
        SchedulerExitText e = SchedulerExitText.parse(List.of("sched_ext: \u001b[2J"), "triggered exit kind 99999999999999:\nBacktrace:\n");
        assertThat(e.found()).isFalse();
        assertThat(SchedulerExitText.parse(List.of(), "").found()).isFalse();
    }
}
