package dev.jktstr.kvm;

import dev.jktstr.kvm.x86.ApicIdLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** What {@link VirtualMachine.Builder} collected, frozen for {@link VmBuilder}; {@code watchdog} may be null (none). */
record VmConfig(ApicIdLayout topology, List<Long> memoryPerNode, boolean hugePages, Duration watchdog, Path device) {
    VmConfig {
        Objects.requireNonNull(topology, "topology");
        memoryPerNode = List.copyOf(memoryPerNode);
        Objects.requireNonNull(device, "device");
    }
}
