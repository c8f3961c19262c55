package dev.jktstr.kvm;

import dev.jktstr.machine.ConsoleLog;
import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.bindings.kvm.KvmRegs;
import dev.jktstr.bindings.kvm.KvmRun;
import dev.jktstr.bindings.kvm.KvmSegment;
import dev.jktstr.bindings.kvm.KvmSregs;
import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.kvm.devices.Cmos;
import dev.jktstr.kvm.devices.I8042;
import dev.jktstr.kvm.devices.PostCodePort;
import dev.jktstr.kvm.devices.PowerPort;
import dev.jktstr.kvm.devices.Serial16550;
import dev.jktstr.kvm.x86.CpuTopology;
import dev.jktstr.kvm.x86.TopologyCpuid;
import dev.jktstr.kvm.x86.X86Layout;
import dev.jktstr.machine.ExitReason;
import dev.jktstr.machine.GuestMemory;
import dev.jktstr.machine.MachineStateException;
import dev.jktstr.machine.VcpuRegisters;
import dev.jktstr.nativeio.EventFd;
import dev.jktstr.virtio.Doorbell;
import dev.jktstr.virtio.VirtioDevice;
import dev.jktstr.virtio.VirtioMmioDevice;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running x86-64 VM: KVM objects, guest RAM, the legacy devices on the port-I/O bus, and one
 * platform thread per vCPU looping on KVM_RUN and dispatching PIO and MMIO exits to the {@link Bus}es.
 * {@link #pause()} kicks every vCPU out of KVM_RUN (immediate_exit + signal) and saves the KVM clock;
 * {@link #resume()} restores it, so the guest does not see the pause. The guest stops on power off,
 * reset, triple fault, an unexpected exit or the watchdog; {@link #close()} releases everything.
 *
 * <p>Devices: COM1 (0x3F8, IRQ 4) and COM2 (0x2F8, IRQ 3) raising their IRQ through irqfd, the i8042
 * reset line (0x64 ← 0xFE), the ACPI power port 0x3C0, port 0x80 and the CMOS at 0x70. In-kernel PIC,
 * IO APIC, LAPICs and PIT.
 */
public final class VirtualMachine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VirtualMachine.class);
    private static final ScheduledExecutorService WATCHDOGS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kvm-watchdog");
        t.setDaemon(true);
        return t;
    });
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final long JOIN_PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** What to build. */
    public static final class Builder {
        private CpuTopology topology = new CpuTopology(1, 1, 1, 1);
        private List<Long> memoryPerNode = List.of(64L << 20);
        private boolean hugePages;
        private Duration watchdog;
        private java.nio.file.Path device = Kvm.DEFAULT_DEVICE;

        /** vCPUs and their APIC ids/CPUID topology; default one vCPU. */
        public Builder topology(CpuTopology topology) {
            this.topology = topology;
            return this;
        }

        /** {@code n} vCPUs on one node, one LLC, one thread per core. */
        public Builder vcpus(int n) {
            return topology(new CpuTopology(1, 1, n, 1));
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
        public Builder device(java.nio.file.Path path) {
            this.device = path;
            return this;
        }

        public VirtualMachine build() {
            return new VirtualMachine(this);
        }
    }

    /** Why and where the guest stopped. */
    public record Exit(ExitReason reason, String detail) {}

    private final class VcpuThread {
        final Vcpu vcpu;
        final int index;
        final Thread thread;
        volatile long pthread;
        volatile boolean parked;
        volatile boolean done;
        boolean entrySet;

        VcpuThread(Vcpu vcpu, int index) {
            this.vcpu = vcpu;
            this.index = index;
            this.thread = Thread.ofPlatform().daemon().name("kvm-vcpu" + index).unstarted(() -> runLoop(this));
        }
    }

    private final CpuTopology topology;
    private final Kvm kvm;
    private final Vm vm;
    private final GuestRam ram;
    private final List<VcpuThread> vcpus = new ArrayList<>();
    private final List<EventFd> eventFds = new ArrayList<>();
    private final Bus pio = new Bus("port I/O");
    private final Bus mmio = new Bus("MMIO");
    private final Serial16550[] serials = new Serial16550[2];
    private final ConsoleLog[] serialLogs = {new ConsoleLog(), new ConsoleLog()};
    private final PostCodePort postCode = new PostCodePort();
    private final List<VirtioSlot> virtio = new ArrayList<>();
    private final Duration watchdog;
    private final Object lock = new Object();
    private final AtomicReference<Exit> exit = new AtomicReference<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final long createdNanos = System.nanoTime();
    private boolean started;
    private volatile boolean pauseRequested;
    private boolean paused;
    private volatile boolean stopRequested;
    private boolean closed;
    private long pausedClock;
    private ScheduledFuture<?> watchdogTask;

    private VirtualMachine(Builder b) {
        this.topology = b.topology;
        this.watchdog = b.watchdog;
        VcpuKick.install();
        Kvm k = Kvm.open(b.device);
        Vm v = null;
        GuestRam r = null;
        try {
            k.requireExtension(KvmH.KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP (in-kernel interrupt controllers)");
            k.requireExtension(KvmH.KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY");
            k.requireExtension(KvmH.KVM_CAP_IRQFD, "KVM_CAP_IRQFD");
            k.requireExtension(KvmH.KVM_CAP_PIT2, "KVM_CAP_PIT2");
            k.requireExtension(KvmH.KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT (needed to pause vCPUs)");
            k.requireExtension(KvmH.KVM_CAP_ADJUST_CLOCK, "KVM_CAP_ADJUST_CLOCK (needed to hide pauses from the guest)");
            int cpus = topology.cpuCount();
            checkVcpuLimits(topology, k.maxVcpus(), k.maxVcpuId());
            v = k.createVm();
            if (k.checkExtension(KvmH.KVM_CAP_SET_TSS_ADDR) > 0) {
                v.setTssAddress(Vm.TSS_ADDRESS);
            }
            // Memory slots first: on PVM, adding slots after the irqchip exists costs several ms more.
            r = GuestRam.allocate(v, b.memoryPerNode, b.hugePages);
            v.createIrqchip();
            v.createPit();
            if (topology.maxApicId() > 254) {
                // APIC ids above 255 are only addressable with 32-bit x2APIC ids (and 0xFF is not a broadcast).
                k.requireExtension(KvmH.KVM_CAP_X2APIC_API, "KVM_CAP_X2APIC_API (APIC ids above 254)");
                v.enableCapability(KvmH.KVM_CAP_X2APIC_API,
                        KvmH.KVM_X2APIC_API_USE_32BIT_IDS | KvmH.KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK);
            }
            TopologyCpuid cpuid = new TopologyCpuid(topology, k.supportedCpuid());
            for (int cpu = 0; cpu < cpus; cpu++) {
                Vcpu vcpu = v.createVcpu(topology.apicId(cpu));
                vcpus.add(new VcpuThread(vcpu, cpu));
                vcpu.setCpuid(cpuid.forVcpu(cpu));
                LongMode.setupLapicLvts(vcpu);
            }
            this.kvm = k;
            this.vm = v;
            this.ram = r;
            LongMode.writeTables(r.memory());
            wireDevices();
        } catch (RuntimeException e) {
            vcpus.forEach(t -> t.vcpu.close());
            eventFds.forEach(EventFd::close);
            if (r != null) {
                r.close();
            }
            if (v != null) {
                v.close();
            }
            k.close();
            throw e;
        }
    }

    /** Throws {@link KvmUnavailableException} when KVM cannot create the topology's vCPUs. */
    static void checkVcpuLimits(CpuTopology topology, int maxVcpus, int maxVcpuId) {
        int cpus = topology.cpuCount();
        if (cpus > maxVcpus) {
            throw new KvmUnavailableException("topology " + topology + " has " + cpus + " vCPUs but KVM here allows at most "
                    + maxVcpus + " per VM (KVM_CAP_MAX_VCPUS); use fewer CPUs or the qemu backend");
        }
        if (topology.maxApicId() >= maxVcpuId) {
            throw new KvmUnavailableException("topology " + topology + " needs APIC id " + topology.maxApicId()
                    + " but KVM here accepts vCPU ids below " + maxVcpuId
                    + " (KVM_CAP_MAX_VCPU_ID); use a topology whose counts are powers of two or fewer CPUs");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    private void wireDevices() {
        int[][] com = {{Serial16550.COM1_PORT, Serial16550.COM1_IRQ}, {Serial16550.COM2_PORT, Serial16550.COM2_IRQ}};
        for (int i = 0; i < 2; i++) {
            EventFd irq = EventFd.create(0, LibcH.EFD_NONBLOCK);
            eventFds.add(irq);
            vm.registerIrqfd(irq, com[i][1]);
            ConsoleLog log = serialLogs[i];
            serials[i] = new Serial16550(b -> log.append(new byte[] {(byte) b}, 0, 1), () -> irq.signal(1));
            pio.register(com[i][0], Serial16550.PORT_COUNT, serials[i]);
        }
        pio.register(I8042.DATA_PORT, 5, new I8042(() -> guestReset("i8042 reset (0xFE to port 0x64)")));
        pio.register(X86Layout.ACPI_SHUTDOWN_PORT, 1, new PowerPort(
                () -> finish(ExitReason.POWEROFF, "ACPI power off (port 0x3C0)"),
                () -> guestReset("ACPI reset (port 0x3C0)")));
        pio.register(PostCodePort.PORT, 1, postCode);
        pio.register(Cmos.PORT, 2, new Cmos(Clock.systemUTC()));
    }

    private void guestReset(String how) {
        ConsoleLog log = serialLogs[0];
        if (log.sawPanic()) {
            finish(ExitReason.PANIC, "kernel panic, then " + how);
        } else {
            finish(ExitReason.REBOOT, how);
        }
    }

    /** A virtio-mmio device as the guest finds it: its register window, its interrupt line. */
    public record VirtioSlot(VirtioMmioDevice device, long base, int irq) {
        /** The {@code virtio_mmio.device=} argument that declares it on the kernel command line. */
        public String commandLineArg() {
            return VirtioMmioDevice.kernelCommandLineArg(base, irq);
        }
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
        int index = virtio.size();
        if (index >= X86Layout.VIRTIO_SLOTS) {
            device.close();
            throw new KvmException("at most " + X86Layout.VIRTIO_SLOTS + " virtio devices per VM; " + name + " is one too many");
        }
        try {
            return plugVirtio(name, device, index);
        } catch (RuntimeException e) {
            device.close(); // the VM owns it from the call on, also when plugging it fails
            throw e;
        }
    }

    private VirtioSlot plugVirtio(String name, VirtioDevice device, int index) {
        long base = X86Layout.VIRTIO_MMIO_BASE + index * X86Layout.VIRTIO_MMIO_STRIDE;
        int irq = X86Layout.virtioIrq(index);
        EventFd interrupt = EventFd.create(0, LibcH.EFD_NONBLOCK);
        eventFds.add(interrupt);
        vm.registerIrqfd(interrupt, irq);
        // The doorbell blocks its worker in read(2): a blocking eventfd.
        EventFd notify = EventFd.create(0, 0);
        eventFds.add(notify);
        long notifyAddress = base + VirtioMmioDevice.QUEUE_NOTIFY_OFFSET;
        if (kvm.checkExtension(KvmH.KVM_CAP_IOEVENTFD) > 0) {
            vm.registerIoeventfd(notify, notifyAddress, 4);
        }
        VirtioMmioDevice mmioDevice = new VirtioMmioDevice(name, device, ram.memory(), () -> interrupt.signal(1),
                new EventFdDoorbell(notify));
        // The whole page: the device itself reads 0 and ignores writes past its register window.
        mmio.register(base, X86Layout.VIRTIO_MMIO_STRIDE, new BusDevice() {
            @Override
            public long read(long offset, int size) {
                return mmioDevice.read(offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                mmioDevice.write(offset, size, value);
            }
        });
        VirtioSlot slot = new VirtioSlot(mmioDevice, base, irq);
        virtio.add(slot);
        return slot;
    }

    /** The virtio devices added so far, in slot order. */
    public List<VirtioSlot> virtioDevices() {
        return List.copyOf(virtio);
    }

    /** The {@code virtio_mmio.device=} arguments for every device added, space-separated ("" for none). */
    public String virtioCommandLine() {
        return String.join(" ", virtio.stream().map(VirtioSlot::commandLineArg).toList());
    }

    /**
     * The devices a hardware-reduced ACPI platform must declare for Linux to give them interrupts: COM1,
     * COM2 and every virtio slot added so far, in that order.
     */
    public List<dev.jktstr.kvm.acpi.AcpiDevice> acpiDevices() {
        List<dev.jktstr.kvm.acpi.AcpiDevice> out = new ArrayList<>();
        out.add(new dev.jktstr.kvm.acpi.AcpiDevice.Serial(0, Serial16550.COM1_PORT, Serial16550.COM1_IRQ));
        out.add(new dev.jktstr.kvm.acpi.AcpiDevice.Serial(1, Serial16550.COM2_PORT, Serial16550.COM2_IRQ));
        for (int i = 0; i < virtio.size(); i++) {
            VirtioSlot slot = virtio.get(i);
            out.add(new dev.jktstr.kvm.acpi.AcpiDevice.VirtioMmio(i, slot.base(), X86Layout.VIRTIO_MMIO_STRIDE, slot.irq()));
        }
        return out;
    }

    /** A {@link Doorbell} on an eventfd: the kernel rings it through the ioeventfd, the host by writing. */
    private record EventFdDoorbell(EventFd event) implements Doorbell {
        @Override
        public void await() {
            event.read();
        }

        @Override
        public void ring() {
            event.signal(1);
        }
    }

    public CpuTopology topology() {
        return topology;
    }

    public int vcpuCount() {
        return vcpus.size();
    }

    public GuestMemory memory() {
        return ram.memory();
    }

    public GuestRam ram() {
        return ram;
    }

    public Vm vm() {
        return vm;
    }

    public Kvm kvm() {
        return kvm;
    }

    /** vCPU {@code cpu} (dense CPU id) for setting up state before {@link #start()}. */
    public Vcpu vcpu(int cpu) {
        return vcpus.get(cpu).vcpu;
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
        return serials[index];
    }

    /** Everything written to COM1 (0) or COM2 (1), from the oldest retained byte; ends when the VM stops. */
    public InputStream serialOutput(int index) {
        return serialLogs[index].stream();
    }

    /** The last few KiB written to COM1. */
    public String consoleTail() {
        return serialLogs[0].tail();
    }

    /** The last byte written to port 0x80. */
    public int lastPostCode() {
        return postCode.lastValue();
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
        VcpuThread t = vcpus.get(cpu);
        LongMode.enter(t.vcpu, rip, rsp, rsi);
        LongMode.setBootMsrs(t.vcpu);
        if (cpu != 0) {
            t.vcpu.setMpState(KvmH.KVM_MP_STATE_RUNNABLE);
        }
        t.entrySet = true;
    }

    /** Starts the vCPU threads (once). */
    public void start() {
        synchronized (lock) {
            if (started || closed) {
                throw new MachineStateException(closed ? "the VM is closed" : "the VM is already started");
            }
            started = true;
        }
        if (watchdog != null) {
            watchdogTask = WATCHDOGS.schedule(() -> finish(ExitReason.TIMEOUT, "watchdog: still running after " + watchdog),
                    watchdog.toNanos(), TimeUnit.NANOSECONDS);
        }
        for (VirtioSlot slot : virtio) {
            slot.device().start();
        }
        for (VcpuThread t : vcpus) {
            t.thread.start();
        }
    }

    private void runLoop(VcpuThread t) {
        t.pthread = VcpuKick.self();
        MemorySegment run = t.vcpu.runArea();
        try {
            while (!stopRequested) {
                if (pauseRequested) {
                    synchronized (lock) {
                        if (pauseRequested) {
                            t.parked = true;
                            lock.notifyAll();
                            while (pauseRequested && !stopRequested) {
                                lock.wait();
                            }
                            t.parked = false;
                            continue;
                        }
                    }
                }
                int reason = t.vcpu.run();
                if (reason != Vcpu.EXIT_INTERRUPTED) {
                    handleExit(t, run, reason);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            finish(ExitReason.CRASHED, "vCPU " + t.index + " failed: " + e);
        } finally {
            synchronized (lock) {
                t.done = true;
                lock.notifyAll();
            }
        }
    }

    private void handleExit(VcpuThread t, MemorySegment run, int reason) {
        switch (reason) {
            case KvmH.KVM_EXIT_IO -> {
                long io = KvmRun.io$OFFSET;
                boolean out = run.get(ValueLayout.JAVA_BYTE, io) == KvmH.KVM_EXIT_IO_OUT;
                int size = run.get(ValueLayout.JAVA_BYTE, io + 1);
                int port = run.get(SHORT, io + 2) & 0xFFFF;
                int count = run.get(INT, io + 4);
                long data = run.get(LONG, io + 8);
                for (int i = 0; i < count; i++) {
                    long at = data + (long) i * size;
                    if (at < 0 || at + size > run.byteSize()) {
                        break;
                    }
                    if (out) {
                        pio.write(port, size, load(run, at, size));
                    } else {
                        store(run, at, size, pio.read(port, size));
                    }
                }
            }
            case KvmH.KVM_EXIT_MMIO -> {
                long m = KvmRun.mmio$OFFSET;
                long address = run.get(LONG, m);
                int len = run.get(INT, m + 16);
                boolean write = run.get(ValueLayout.JAVA_BYTE, m + 20) != 0;
                if (len < 1 || len > 8) {
                    return;
                }
                if (write) {
                    mmio.write(address, len, load(run, m + 8, len));
                } else {
                    store(run, m + 8, len, mmio.read(address, len));
                }
            }
            case KvmH.KVM_EXIT_SHUTDOWN -> finish(ExitReason.TRIPLE_FAULT,
                    "vCPU " + t.index + ": triple fault (KVM_EXIT_SHUTDOWN)" + ripOf(t.vcpu));
            case KvmH.KVM_EXIT_SYSTEM_EVENT -> {
                int type = run.get(INT, KvmRun.system_event$OFFSET);
                switch (type) {
                    case KvmH.KVM_SYSTEM_EVENT_SHUTDOWN -> finish(ExitReason.POWEROFF, "vCPU " + t.index + ": system event shutdown");
                    case KvmH.KVM_SYSTEM_EVENT_RESET -> guestReset("vCPU " + t.index + ": system event reset");
                    case KvmH.KVM_SYSTEM_EVENT_CRASH -> finish(ExitReason.PANIC, "vCPU " + t.index + ": system event crash");
                    default -> LOG.debug("vCPU {}: system event {} ignored", t.index, type);
                }
            }
            case KvmH.KVM_EXIT_HLT -> finish(ExitReason.POWEROFF, "vCPU " + t.index + " halted" + ripOf(t.vcpu));
            case KvmH.KVM_EXIT_INTERNAL_ERROR -> finish(ExitReason.CRASHED, "vCPU " + t.index
                    + ": KVM internal error, suberror " + run.get(INT, KvmRun.internal$OFFSET) + ripOf(t.vcpu));
            case KvmH.KVM_EXIT_FAIL_ENTRY -> finish(ExitReason.CRASHED, "vCPU " + t.index
                    + ": KVM_RUN entry failed, hardware reason 0x" + Long.toHexString(run.get(LONG, KvmRun.fail_entry$OFFSET)));
            default -> finish(ExitReason.CRASHED, "vCPU " + t.index + ": unexpected KVM exit " + reason + ripOf(t.vcpu));
        }
    }

    private static String ripOf(Vcpu vcpu) {
        try (Arena arena = Arena.ofConfined()) {
            return String.format(" at RIP 0x%x", KvmRegs.rip(vcpu.regs(arena)));
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static long load(MemorySegment s, long at, int size) {
        return switch (size) {
            case 1 -> s.get(ValueLayout.JAVA_BYTE, at) & 0xFFL;
            case 2 -> s.get(SHORT, at) & 0xFFFFL;
            case 4 -> s.get(INT, at) & 0xFFFF_FFFFL;
            case 8 -> s.get(LONG, at);
            default -> {
                long v = 0;
                for (int i = 0; i < size; i++) {
                    v |= (s.get(ValueLayout.JAVA_BYTE, at + i) & 0xFFL) << (8 * i);
                }
                yield v;
            }
        };
    }

    private static void store(MemorySegment s, long at, int size, long value) {
        for (int i = 0; i < size; i++) {
            s.set(ValueLayout.JAVA_BYTE, at + i, (byte) (value >>> (8 * i)));
        }
    }

    /** Records the first exit reason and stops all vCPUs (without waiting: may run on a vCPU thread). */
    private void finish(ExitReason reason, String detail) {
        if (!exit.compareAndSet(null, new Exit(reason, detail))) {
            return;
        }
        LOG.debug("guest stopped: {} ({})", reason, detail);
        stopRequested = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        kickAll();
        serialLogs[0].end();
        serialLogs[1].end();
        stopped.countDown();
    }

    private void kickAll() {
        for (VcpuThread t : vcpus) {
            t.vcpu.immediateExit(true);
        }
        for (VcpuThread t : vcpus) {
            long p = t.pthread;
            if (p != 0 && !t.done) {
                VcpuKick.kick(p);
            }
        }
    }

    /** Stops every vCPU and saves the KVM clock; returns once all are out of KVM_RUN. Idempotent. */
    public void pause() {
        synchronized (lock) {
            if (paused || exit.get() != null) {
                paused = paused || exit.get() == null;
                return;
            }
            if (!started) {
                throw new MachineStateException("the VM is not started");
            }
            pauseRequested = true;
        }
        long deadline = System.nanoTime() + JOIN_PATIENCE_NANOS;
        synchronized (lock) {
            while (!allParked()) {
                // A thread may not have published its pthread yet, or may have raced past the flag: kick again.
                kickAllLocked();
                try {
                    lock.wait(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new MachineStateException("interrupted while pausing the VM");
                }
                if (System.nanoTime() > deadline) {
                    throw new KvmException("vCPUs did not stop within 10 s of the pause kick");
                }
            }
            pausedClock = vm.clock();
            paused = true;
        }
    }

    private void kickAllLocked() {
        for (VcpuThread t : vcpus) {
            if (!t.parked && !t.done) {
                t.vcpu.immediateExit(true);
                long p = t.pthread;
                if (p != 0) {
                    VcpuKick.kick(p);
                }
            }
        }
    }

    private boolean allParked() {
        for (VcpuThread t : vcpus) {
            if (!t.parked && !t.done) {
                return false;
            }
        }
        return true;
    }

    /** Restores the KVM clock saved by {@link #pause()} and lets the vCPUs run. Idempotent. */
    public void resume() {
        synchronized (lock) {
            if (!paused) {
                return;
            }
            if (exit.get() == null) {
                vm.setClock(pausedClock);
            }
            for (VcpuThread t : vcpus) {
                t.vcpu.immediateExit(false);
            }
            paused = false;
            pauseRequested = false;
            lock.notifyAll();
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
            if (!paused && exit.get() == null && started) {
                throw new MachineStateException("pause the VM before reading registers");
            }
        }
        Vcpu v = vcpus.get(cpu).vcpu;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = v.regs(arena);
            MemorySegment s = v.sregs(arena);
            Map<String, Long> all = new LinkedHashMap<>();
            String[] names = {"RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RSP", "RBP", "R8", "R9", "R10", "R11", "R12", "R13",
                "R14", "R15", "RIP", "RFLAGS"};
            for (int i = 0; i < names.length; i++) {
                all.put(names[i], r.get(ValueLayout.JAVA_LONG, 8L * i));
            }
            all.put("CR0", KvmSregs.cr0(s));
            all.put("CR2", KvmSregs.cr2(s));
            all.put("CR3", KvmSregs.cr3(s));
            all.put("CR4", KvmSregs.cr4(s));
            all.put("CR8", KvmSregs.cr8(s));
            all.put("EFER", KvmSregs.efer(s));
            all.put("APIC_BASE", KvmSregs.apic_base(s));
            all.put("CS", (long) KvmSegment.selector(KvmSregs.cs(s)) & 0xFFFF);
            all.put("FS_BASE", KvmSegment.base(KvmSregs.fs(s)));
            all.put("GS_BASE", KvmSegment.base(KvmSregs.gs(s)));
            all.put("GDT_BASE", dev.jktstr.bindings.kvm.KvmDtable.base(KvmSregs.gdt(s)));
            all.put("IDT_BASE", dev.jktstr.bindings.kvm.KvmDtable.base(KvmSregs.idt(s)));
            v.msr(0xC0000082).ifPresent(x -> all.put("LSTAR", x));
            v.msr(0xC0000102).ifPresent(x -> all.put("KERNEL_GS_BASE", x));
            return new VcpuRegisters(cpu, KvmRegs.rip(r), KvmRegs.rsp(r), KvmRegs.rflags(r), KvmSregs.cr0(s),
                    KvmSregs.cr2(s), KvmSregs.cr3(s), KvmSregs.cr4(s), all);
        }
    }

    /** KVM's MP state of vCPU {@code cpu} ({@code KVM_MP_STATE_*}): tells a started AP from one waiting for SIPI. */
    public int mpState(int cpu) {
        return vcpus.get(cpu).vcpu.mpState();
    }

    /** Why the guest stopped, once it has. */
    public Optional<Exit> exit() {
        return Optional.ofNullable(exit.get());
    }

    /** Waits for the guest to stop; {@link ExitReason#TIMEOUT} if it still runs after {@code timeout}. */
    public ExitReason awaitExit(Duration timeout) {
        try {
            if (stopped.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return exit.get().reason();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ExitReason.TIMEOUT;
    }

    /** Stops the guest if it runs, joins the vCPU threads and releases every fd, mapping and thread. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            pauseRequested = false;
            lock.notifyAll();
        }
        finish(ExitReason.CLOSED, "closed by the host");
        if (watchdogTask != null) {
            watchdogTask.cancel(false);
        }
        boolean allJoined = true;
        for (VcpuThread t : vcpus) {
            if (!t.thread.isAlive() && !started) {
                continue;
            }
            long deadline = System.nanoTime() + JOIN_PATIENCE_NANOS;
            while (t.thread.isAlive() && System.nanoTime() < deadline) {
                long p = t.pthread;
                if (p != 0 && !t.done) {
                    VcpuKick.kick(p);
                }
                try {
                    t.thread.join(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            allJoined &= !t.thread.isAlive();
        }
        if (!allJoined) {
            // Never unmap kvm_run under a thread still in KVM_RUN: leak rather than crash.
            LOG.error("vCPU threads did not stop; leaking the VM's descriptors and memory");
            return;
        }
        for (VirtioSlot slot : virtio) {
            // Workers read guest RAM: they stop before it is unmapped.
            slot.device().close();
        }
        if (virtio.stream().anyMatch(slot -> slot.device().workerAlive())) {
            // Same rule as for vCPU threads: leak rather than unmap memory a live thread may touch.
            LOG.error("a virtio worker did not stop; leaking the VM's descriptors and memory");
            return;
        }
        for (VcpuThread t : vcpus) {
            t.vcpu.close();
        }
        for (EventFd e : eventFds) {
            e.close();
        }
        ram.close();
        vm.close();
        kvm.close();
    }
}
