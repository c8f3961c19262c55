package dev.jktstr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.testsupport.HostProgram;
import dev.jktstr.testsupport.SharedAssets;
import dev.jktstr.cli.RunCommandTest.Run;
import dev.jktstr.kvm.Kvm;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job on our VMM: {@code jktstr run steady --backend kvm --scheduler scx_simple} boots, attaches
 * the sched_ext scheduler, runs the workers, reads the guest's runqueues out of its memory (KASLR found
 * through MSR_LSTAR on our VMM) and passes. Needs real KVM: hardware, or {@code jktstr nested-kvm}.
 */
@BootsVm
class KvmScenarioTest {

    @Test
    void steadyUnderScxSimplePassesOnOurVmm(@TempDir Path dir) {
        Path kvm = Path.of("/dev/kvm");
        assumeTrue(Files.isReadable(kvm) && Files.isWritable(kvm), "/dev/kvm missing or not accessible: needs real KVM "
                + "(run it through `jktstr nested-kvm`)");
        assumeTrue(!Kvm.isPvm(), "/dev/kvm is PVM (kvm_pvm): Linux on our VMM needs real KVM (run it through `jktstr nested-kvm`)");
        Path kernel = SharedAssets.requireKernelDir();
        SharedAssets.requireBzImage();
        Path scheduler = SharedAssets.requireScheduler("scx_simple");
        Path result = dir.resolve("steady.json");
        Run r = RunCommandTest.jktstr("run", "steady", "--backend", "kvm", "--kernel", kernel.toString(), "--topology", "1,1,2,1",
                "--memory", "256", "--timeout", "600", "--scheduler", scheduler.toString(), "--duration", "5s", "--output", result.toString());
        System.out.println(r.err() + r.out());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("on kvm").contains("(scx_simple)");
        assertThat(r.out()).contains("verdict: PASS");
        assertThat(result).isRegularFile();
    }
}
