package dev.jktstr.introspect;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-CPU access, as drgn's {@code per_cpu_ptr} and {@code for_each_online_cpu}: CPU ids, the online mask and
 * {@code __per_cpu_offset}. CPU ids are capped at the VM's own vCPU count, so a guest claiming more CPUs than
 * the VM has cannot multiply per-CPU reads. One per {@link KernelView} ({@link KernelView#perCpu()}); typed
 * per-CPU variables come from {@link KernelView#percpu(String, int)}.
 */
public final class PerCpu {
    private final KernelView view;
    private volatile int cpuLimit = dev.jktstr.machine.Topology.MAX_CPUS;

    PerCpu(KernelView view) {
        this.view = view;
    }

    /**
     * {@code nr_cpu_ids}: how many CPU ids the kernel may use, capped at {@link #cpuLimit()} (the VM's own
     * vCPU count): a guest claiming more CPUs than the VM has cannot multiply per-CPU reads.
     */
    public int nrCpuIds() {
        return Math.min(guestNrCpuIds(), cpuLimit);
    }

    /** {@code nr_cpu_ids} as the guest kernel states it (at most 8192, else corrupt), uncapped. */
    public int guestNrCpuIds() {
        int n = view.readInt(view.symbol("nr_cpu_ids"));
        if (n <= 0 || n > 8192) {
            throw new CorruptGuestDataException("nr_cpu_ids reads " + n);
        }
        return n;
    }

    /** The most CPU ids per-CPU walks consider: the VM's topology ({@link dev.jktstr.machine.Topology#MAX_CPUS} until told). */
    public int cpuLimit() {
        return cpuLimit;
    }

    /** Caps CPU ids at {@code cpus}, the VM's own vCPU count. */
    public void limitCpus(int cpus) {
        if (cpus <= 0) {
            throw new IllegalArgumentException("cpus " + cpus);
        }
        this.cpuLimit = cpus;
    }

    /** CPU ids set in {@code __cpu_online_mask}. */
    public List<Integer> onlineCpus() {
        int n = nrCpuIds();
        List<Integer> cpus = new ArrayList<>();
        long mask = view.symbol("__cpu_online_mask");
        for (int word = 0; word * 64 < n; word++) {
            long bits = view.readLong(mask + 8L * word);
            for (int b = 0; b < 64 && word * 64 + b < n; b++) {
                if ((bits >>> b & 1) != 0) {
                    cpus.add(word * 64 + b);
                }
            }
        }
        return cpus;
    }

    /** {@code __per_cpu_offset[cpu]}. */
    public long offset(int cpu) {
        if (cpu < 0 || cpu >= nrCpuIds()) {
            throw new IntrospectionException("cpu " + cpu + " out of range 0.." + (nrCpuIds() - 1));
        }
        return view.readLong(view.symbol("__per_cpu_offset") + 8L * cpu);
    }

    /** Address of CPU {@code cpu}'s instance of a per-CPU pointer or variable offset. */
    public long address(long perCpuPointer, int cpu) {
        return perCpuPointer + offset(cpu);
    }
}
