package dev.jktstr.kvm;

import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.kvm.acpi.AcpiDevice;
import dev.jktstr.kvm.devices.Serial16550;
import dev.jktstr.kvm.x86.ApicIdLayout;
import dev.jktstr.kvm.x86.X86Layout;
import dev.jktstr.machine.ExitReason;
import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.MachineStateException;
import dev.jktstr.machine.VcpuRegisters;
import dev.jktstr.virtio.VirtioDevice;
import dev.jktstr.virtio.VirtioMmioDevice;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running x86-64 VM, composed the way Firecracker's {@code Vmm} is: {@link VmBuilder} wires it,
 * {@link LegacyDevices} and {@link VirtioSlots} hold the devices, {@link VcpuRunner} runs the vCPU
 * threads and {@link ExitLatch} records why the guest stopped. This class keeps the lifecycle:
 * {@link #start()}, {@link #pause()} / {@link #resume()} (the KVM clock saved and restored, so the guest
 * does not see the pause), the watchdog, and {@link #close()}, which never unmaps memory a live thread
 * may still touch.
 */
public final class VirtualMachine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VirtualMachine.class);
    private static final ScheduledExecutorService WATCHDOGS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kvm-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** What to build. */
    public static final class Builder {
        private ApicIdLayout topology = ApicIdLayout.of(1, 1, 1, 1);
        private List<Long> memoryPerNode = List.of(64L << 20);
        private boolean hugePages;
        private Duration watchdog;
        private Path device = Kvm.DEFAULT_DEVICE;

        /** vCPUs and their APIC ids/CPUID topology; default one vCPU. */
        public Builder topology(ApicIdLayout topology) {
            this.topology = topology;
            return this;
        }

        /** {@code n} vCPUs on one node, one LLC, one thread per core. */
        public Builder vcpus(int n) {
            return topology(ApicIdLayout.of(1, 1, n, 1));
        }

        /** RAM in bytes per NUMA node (one memory region each, split at the 3–4 GiB hole); default 64 MiB. */
        public Builder memoryPerNode(List<Long> bytes) {
            this.memoryPerNode = List.copyOf(bytes);
            return this;
        }

        public Builder memoryMib(long mib) {
            return memoryPerNode(List.of(mib << 20));
        }

        /** Advise transparent huge pages for guest RAM. */
        public Builder hugePages(boolean on) {
            this.hugePages = on;
            return this;
        }

        /** Stop the guest with {@link ExitReason#TIMEOUT} if it runs longer than this. */
        public Builder watchdog(Duration timeout) {
            this.watchdog = timeout;
            return this;
        }

        /** The KVM device node; default /dev/kvm. */
        public Builder device(Path path) {
            this.device = path;
            return this;
        }

        public VirtualMachine build() {
            return VmBuilder.build(new VmConfig(topology, memoryPerNode, hugePages, watchdog, device));
        }

        /**
         * Builds this VM and puts the snapshot {@code file} into it (see {@link VirtualMachine#saveSnapshot}); not
         * started: {@link VirtualMachine#start()} resumes the guest where it was saved. The file is checked before the
         * VM is built and must have been saved from a VM of this builder's topology and memory on a KVM that moves the
         * same vCPU state.
         *
         * @throws SnapshotFileException naming the file and what is wrong: not a snapshot, another version, another
         *     shape, truncated or inconsistent (nothing is left open then)
         */
        public VirtualMachine restore(Path file) {
            SnapshotFile.Contents contents = SnapshotFile.read(file);
            VirtualMachine vm = build();
            try {
                VmSnapshot.restore(vm, file, contents);
                return vm;
            } catch (RuntimeException e) {
                vm.close();
                throw e;
            }
        }
    }

    /** Why and where the guest stopped. */
    public record Exit(ExitReason reason, String detail) {}

    /**
     * A virtio-mmio device as the guest finds it: its register window, its interrupt line; {@code readExits} counts
     * the guest's register reads that exited to us (none where the window is a read-only mirror page).
     */
    public record VirtioSlot(VirtioMmioDevice device, long base, int irq, java.util.concurrent.atomic.LongAdder readExits) {
        /** The {@code virtio_mmio.device=} argument that declares it on the kernel command line. */
        public String commandLineArg() {
            return VirtioMmioDevice.kernelCommandLineArg(base, irq);
        }

        /** Register reads that exited to the VMM so far. */
        public long registerReadExits() {
            return readExits.sum();
        }
    }

    private final ApicIdLayout topology;
    private final List<Long> memoryPerNode;
    private final Duration watchdog;
    private final long createdNanos;
    private final Kvm kvm;
    private final VmFd vm;
    private final GuestRam ram;
    private final Bus pio;
    private final Bus mmio;
    private final LegacyDevices legacy;
    private final VirtioSlots virtio;
    private final VcpuRunner vcpus;
    private final ExitLatch exits;
    private final Object lock = new Object();
    private boolean started;
    private boolean paused;
    private boolean closed;
    private long pausedClock;
    private ScheduledFuture<?> watchdogTask;

    VirtualMachine(VmConfig config, long createdNanos, Kvm kvm, VmFd vm, GuestRam ram, Bus pio, Bus mmio,
            LegacyDevices legacy, VirtioSlots virtio, VcpuRunner vcpus, ExitLatch exits) {
        this.topology = config.topology();
        this.memoryPerNode = config.memoryPerNode();
        this.watchdog = config.watchdog();
        this.createdNanos = createdNanos;
        this.kvm = kvm;
        this.vm = vm;
        this.ram = ram;
        this.pio = pio;
        this.mmio = mmio;
        this.legacy = legacy;
        this.virtio = virtio;
        this.vcpus = vcpus;
        this.exits = exits;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Plugs {@code device} into the next virtio-mmio slot (register window at {@link X86Layout#VIRTIO_MMIO_BASE}
     * + n × 4 KiB, ISA interrupt {@link X86Layout#virtioIrq}(n)) before {@link #start()}. QueueNotify writes
     * reach the device's worker through an ioeventfd (no exit to user space) where KVM offers one; the
     * interrupt is an irqfd. The VM owns the device from here: {@link #close()} closes it before unmapping RAM.
     */
    public VirtioSlot addVirtioDevice(String name, VirtioDevice device) {
        synchronized (lock) {
            if (started || closed) {
                throw new MachineStateException("add virtio devices before start()");
            }
        }
        return virtio.add(name, device);
    }

    /** Whether the guest reads virtio registers from read-only mirror pages, without exits (see {@link VirtioSlots}). */
    public boolean mirrorsVirtioReads() {
        return virtio.mirrorsReads();
    }

    /** The virtio devices added so far, in slot order. */
    public List<VirtioSlot> virtioDevices() {
        return virtio.slots();
    }

    /** The {@code virtio_mmio.device=} arguments for every device added, space-separated ("" for none). */
    public String virtioCommandLine() {
        return virtio.commandLine();
    }

    /**
     * The devices a hardware-reduced ACPI platform must declare for Linux to give them interrupts: COM1,
     * COM2 and every virtio slot added so far, in that order.
     */
    public List<AcpiDevice> acpiDevices() {
        List<AcpiDevice> out = new ArrayList<>(legacy.acpiDevices());
        out.addAll(virtio.acpiDevices());
        return out;
    }

    public ApicIdLayout topology() {
        return topology;
    }

    /** Guest RAM in bytes per NUMA node, as built. */
    public List<Long> memoryPerNode() {
        return memoryPerNode;
    }

    LegacyDevices legacy() {
        return legacy;
    }

    public int vcpuCount() {
        return vcpus.count();
    }

    public GuestMemory memory() {
        return ram.memory();
    }

    public GuestRam ram() {
        return ram;
    }

    public VmFd vm() {
        return vm;
    }

    public Kvm kvm() {
        return kvm;
    }

    /** vCPU {@code cpu} (dense CPU id) for setting up state before {@link #start()}. */
    public VcpuFd vcpu(int cpu) {
        return vcpus.vcpu(cpu);
    }

    /** The port-I/O bus (add devices before {@link #start()}). */
    public Bus pio() {
        return pio;
    }

    /** The MMIO bus (add devices before {@link #start()}). */
    public Bus mmio() {
        return mmio;
    }

    /** COM1 ({@code 0}) or COM2 ({@code 1}). */
    public Serial16550 serial(int index) {
        return legacy.serial(index);
    }

    /** Everything written to COM1 (0) or COM2 (1), from the oldest retained byte; ends when the VM stops. */
    public InputStream serialOutput(int index) {
        return legacy.log(index).stream();
    }

    /** The last few KiB written to COM1. */
    public String consoleTail() {
        return legacy.log(0).tail();
    }

    /** The last byte written to port 0x80. */
    public int lastPostCode() {
        return legacy.lastPostCode();
    }

    /** {@link System#nanoTime()} when construction began. */
    public long createdNanos() {
        return createdNanos;
    }

    /**
     * Sets vCPU {@code cpu} to start in 64-bit mode at {@code rip} (with {@code rsi}, the zero page
     * for Linux). vCPUs given no entry wait for INIT/SIPI from the guest.
     */
    public void setEntry(int cpu, long rip, long rsp, long rsi) {
        VcpuFd vcpu = vcpus.vcpu(cpu);
        LongMode.enter(vcpu, rip, rsp, rsi);
        LongMode.setBootMsrs(vcpu);
        if (cpu != 0) {
            vcpu.setMpState(KvmH.KVM_MP_STATE_RUNNABLE);
        }
    }

    /** Starts the virtio workers, then the vCPU threads (once). */
    public void start() {
        synchronized (lock) {
            if (started || closed) {
                throw new MachineStateException(closed ? "the VM is closed" : "the VM is already started");
            }
            started = true;
        }
        if (watchdog != null) {
            watchdogTask = WATCHDOGS.schedule(() -> exits.finish(ExitReason.TIMEOUT, "watchdog: still running after " + watchdog),
                    watchdog.toNanos(), TimeUnit.NANOSECONDS);
        }
        virtio.start();
        vcpus.start();
    }

    /** Stops every vCPU and saves the KVM clock; returns once all are out of KVM_RUN. Idempotent. */
    public void pause() {
        synchronized (lock) {
            if (paused || exits.stopped()) {
                return;
            }
            if (!started) {
                throw new MachineStateException("the VM is not started");
            }
        }
        vcpus.pause();
        synchronized (lock) {
            pausedClock = vm.clock();
            paused = true;
        }
    }

    /** Restores the KVM clock saved by {@link #pause()} and lets the vCPUs run. Idempotent. */
    public void resume() {
        synchronized (lock) {
            if (!paused) {
                return;
            }
            if (!exits.stopped()) {
                vm.setClock(pausedClock);
            }
            vcpus.resume();
            paused = false;
        }
    }

    /**
     * Saves the whole VM into {@code file} for {@link Builder#restore(Path)}: the kernel's PIT, kvmclock, PICs and IO
     * APIC, each vCPU's registers, special registers, FPU/XSAVE, XCRs, debug registers, LAPIC, MSRs, MP state and
     * pending events, the legacy devices' registers, and guest RAM (zero pages left out). The vCPUs stop for it: a
     * running VM is paused and resumed afterwards, a paused one stays paused; kvmclock is saved as it read at the
     * pause, so a restored guest does not see the time in between. A VM not yet started saves its entry state.
     *
     * @throws MachineStateException while virtio devices are plugged (their queue state is not saved yet), once the
     *     guest has stopped, or after {@link #close()}
     */
    public void saveSnapshot(Path file) {
        boolean pausedHere;
        synchronized (lock) {
            if (closed || exits.stopped()) {
                throw new MachineStateException("cannot save a snapshot: the " + (closed ? "VM is closed" : "guest has stopped"));
            }
            if (!virtio.slots().isEmpty()) {
                throw new MachineStateException("cannot save a snapshot of a VM with virtio devices (" + virtio.slots().size()
                        + " plugged): their queue state is not saved yet");
            }
            pausedHere = started && !paused;
        }
        if (pausedHere) {
            pause();
        }
        try {
            long clock;
            synchronized (lock) {
                if (started && !paused) {
                    throw new MachineStateException("cannot save a snapshot: the guest stopped while pausing");
                }
                clock = started ? pausedClock : vm.clock();
            }
            VmSnapshot.save(this, file, clock);
        } finally {
            if (pausedHere) {
                resume();
            }
        }
    }

    public boolean isPaused() {
        synchronized (lock) {
            return paused;
        }
    }

    /**
     * vCPU {@code cpu}'s registers: general, control, segment bases, EFER and the syscall MSRs. The VM
     * must be paused or stopped.
     */
    public VcpuRegisters registers(int cpu) {
        synchronized (lock) {
            if (!paused && !exits.stopped() && started) {
                throw new MachineStateException("pause the VM before reading registers");
            }
        }
        return vcpus.vcpu(cpu).registers(cpu);
    }

    /** KVM's MP state of vCPU {@code cpu} ({@code KVM_MP_STATE_*}): tells a started AP from one waiting for SIPI. */
    public int mpState(int cpu) {
        return vcpus.vcpu(cpu).mpState();
    }

    /** Why the guest stopped, once it has. */
    public Optional<Exit> exit() {
        return exits.exit();
    }

    /** Waits for the guest to stop; {@link ExitReason#TIMEOUT} if it still runs after {@code timeout}. */
    public ExitReason awaitExit(Duration timeout) {
        return exits.await(timeout);
    }

    /** Stops the guest if it runs, joins the vCPU threads and releases every fd, mapping and thread. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        exits.finish(ExitReason.CLOSED, "closed by the host");
        if (watchdogTask != null) {
            watchdogTask.cancel(false);
        }
        if (!vcpus.join()) {
            // Never unmap kvm_run under a thread still in KVM_RUN: leak rather than crash.
            LOG.error("vCPU threads did not stop; leaking the VM's descriptors and memory");
            return;
        }
        // Workers read guest RAM: they stop before it is unmapped.
        if (!virtio.closeDevices()) {
            // Same rule as for vCPU threads: leak rather than unmap memory a live thread may touch.
            LOG.error("a virtio worker did not stop; leaking the VM's descriptors and memory");
            return;
        }
        vcpus.closeVcpus();
        legacy.close();
        virtio.close();
        ram.close();
        vm.close();
        kvm.close();
    }
}
