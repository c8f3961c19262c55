package dev.jktstr.kvm;

import dev.jktstr.machine.ExitReason;
import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.GuestPort;
import dev.jktstr.machine.Machine;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.MachineStateException;
import dev.jktstr.machine.VcpuRegisters;
import dev.jktstr.virtio.ConsolePort;
import dev.jktstr.virtio.VirtioConsole;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;

/**
 * A Linux guest on this VMM seen through the Machine SPI: serial console, virtio console ports (the
 * agent's control port among them), pause/resume, registers, exit.
 */
final class KvmMachine implements Machine {

    private final MachineSpec spec;
    private final VirtualMachine vm;
    private final VirtioConsole console;
    private final long startNanos;

    KvmMachine(MachineSpec spec, VirtualMachine vm, VirtioConsole console, long startNanos) {
        this.spec = spec;
        this.vm = vm;
        this.console = console;
        this.startNanos = startNanos;
        // A guest that stops (power off, reboot, panic, triple fault) ends its ports' streams at once, so
        // whoever waits on the agent (READY, a reply) hears it now rather than at its own timeout.
        Thread.ofPlatform().daemon().name("kvm-exit-watch").start(() -> {
            vm.awaitExit(Duration.ofDays(3650));
            console.close();
        });
        // The device never drops bytes, so an unread hvc0 would stall the guest once its buffer fills; the
        // kernel's console is COM1 (console=ttyS0), so what reaches hvc0 is discarded.
        Thread.ofPlatform().daemon().name("kvm-hvc0-drain").start(() -> {
            try {
                console.port(0).fromGuest().transferTo(OutputStream.nullOutputStream());
            } catch (java.io.IOException e) {
                // the machine closed
            }
        });
    }

    @Override
    public MachineSpec spec() {
        return spec;
    }

    @Override
    public String backendName() {
        return "kvm";
    }

    @Override
    public long startNanos() {
        return startNanos;
    }

    @Override
    public GuestMemory memory() {
        return vm.memory();
    }

    @Override
    public void pause() {
        vm.pause();
    }

    @Override
    public void resume() {
        vm.resume();
    }

    @Override
    public boolean isPaused() {
        return vm.isPaused();
    }

    @Override
    public VcpuRegisters registers(int cpu) {
        if (cpu < 0 || cpu >= vm.vcpuCount()) {
            throw new MachineStateException("no CPU " + cpu + "; the guest has " + vm.vcpuCount());
        }
        return vm.registers(cpu);
    }

    @Override
    public InputStream console() {
        return vm.serialOutput(0);
    }

    @Override
    public OutputStream consoleInput() {
        return new OutputStream() {
            @Override
            public void write(int b) {
                vm.serial(0).receive(new byte[] {(byte) b});
            }

            @Override
            public void write(byte[] b, int off, int len) {
                vm.serial(0).receive(java.util.Arrays.copyOfRange(b, off, off + len));
            }
        };
    }

    @Override
    public String consoleTail() {
        return vm.consoleTail();
    }

    @Override
    public GuestPort control() {
        return port(MachineSpec.CONTROL_PORT);
    }

    @Override
    public GuestPort port(String name) {
        if (!portNames().contains(name)) {
            throw new MachineStateException("no console port '" + name + "'; this machine has " + portNames()
                    + " (add ports with MachineSpec.Builder.addConsolePort)");
        }
        ConsolePort port = console.port(name);
        return new GuestPort(name, port.fromGuest(), port.toGuest());
    }

    /** The named ports (port 0, the console, has no name). */
    private java.util.List<String> portNames() {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (int i = 1; i < console.portCount(); i++) {
            names.add(console.port(i).name());
        }
        return names;
    }

    @Override
    public Optional<ExitReason> exitReason() {
        return vm.exit().map(VirtualMachine.Exit::reason);
    }

    @Override
    public ExitReason awaitExit(Duration timeout) {
        return vm.awaitExit(timeout);
    }

    /** vCPU index → its thread's /proc/self/task directory, found by name on first use. */
    private final java.util.Map<Integer, java.nio.file.Path> vcpuTasks = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The vCPU's own platform thread ({@code kvm-vcpu<n>}) from {@code /proc/self/task/<tid>/schedstat}. Empty when
     * no thread, or more than one (two VMs in this JVM), has that name.
     */
    @Override
    public Optional<dev.jktstr.machine.VcpuHostTime> vcpuHostTime(int cpu) {
        if (cpu < 0 || cpu >= vm.vcpuCount()) {
            return Optional.empty();
        }
        java.nio.file.Path task = vcpuTasks.get(cpu);
        Optional<dev.jktstr.machine.VcpuHostTime> t = task == null ? Optional.empty()
                : dev.jktstr.machine.VcpuHostTime.ofThread(task, 1);
        if (t.isPresent()) {
            return t;
        }
        String name = "kvm-vcpu" + cpu;
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            java.util.List<java.nio.file.Path> named = tasks.filter(p -> {
                try {
                    return java.nio.file.Files.readString(p.resolve("comm")).strip().equals(name);
                } catch (java.io.IOException | RuntimeException e) {
                    return false;
                }
            }).toList();
            if (named.size() != 1) {
                return Optional.empty();
            }
            vcpuTasks.put(cpu, named.getFirst());
            return dev.jktstr.machine.VcpuHostTime.ofThread(named.getFirst(), 1);
        } catch (java.io.IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        try {
            vm.close();
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(KvmMachine.class).warn("closing the VM: {}", e.toString());
        }
    }
}
