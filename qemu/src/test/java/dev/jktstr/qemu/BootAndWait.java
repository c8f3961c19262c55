package dev.jktstr.qemu;

import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineSpec;
import java.nio.file.Path;

/** Child JVM for {@link QemuLifecycleTest}: boots a machine, prints the QEMU pid, then waits to be killed. */
final class BootAndWait {

    private BootAndWait() {
    }

    public static void main(String[] args) throws Exception {
        MachineSpec spec = MachineSpec.builder(Path.of(args[0])).memoryPerNodeMib(64).build();
        Machine m = new QemuBackend(null, QemuBackend.Accel.TCG).boot(spec);
        long qemuPid = ProcessHandle.current().children().findFirst().orElseThrow().pid();
        System.out.println("QEMU " + qemuPid);
        System.out.flush();
        Thread.sleep(600_000);
        m.close();
    }
}
