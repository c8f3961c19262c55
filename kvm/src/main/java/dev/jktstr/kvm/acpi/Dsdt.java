package dev.jktstr.kvm.acpi;

import dev.jktstr.kvm.TopologyEncodingException;
import dev.jktstr.kvm.x86.ApicIdLayout;

/**
 * The Differentiated System Description Table: one processor device per vCPU under {@code \_SB}
 * ({@code Device (Cxxx) { Name (_HID, "ACPI0007") Name (_UID, n) }}, _UID = the MADT processor UID =
 * the CPU id), the platform's {@link AcpiDevice}s with their resources, and {@code Name (_S5, Package () {5, 5, 0, 0})} so Linux can power off through the FADT
 * sleep control register. Revision 2: 64-bit AML integers.
 */
public final class Dsdt {

    /** Device names are {@code C} plus three hex digits. */
    public static final int MAX_PROCESSOR_DEVICES = 0x1000;

    public static final int S5_SLEEP_TYPE = 5;

    private Dsdt() {
    }

    public static String processorDeviceName(int cpu) {
        return String.format("C%03X", cpu);
    }

    public static byte[] build(ApicIdLayout topology, OemIds oem) {
        return build(topology, java.util.List.of(), oem);
    }

    public static byte[] build(ApicIdLayout topology, java.util.List<AcpiDevice> devices, OemIds oem) {
        if (topology.cpuCount() > MAX_PROCESSOR_DEVICES) {
            throw new TopologyEncodingException("DSDT processor device names hold " + MAX_PROCESSOR_DEVICES
                    + " CPUs, topology has " + topology.cpuCount());
        }
        byte[][] sb = new byte[topology.cpuCount() + devices.size()][];
        for (int cpu = 0; cpu < topology.cpuCount(); cpu++) {
            sb[cpu] = Aml.device(processorDeviceName(cpu),
                    Aml.name("_HID", Aml.string("ACPI0007")),
                    Aml.name("_UID", Aml.integer(cpu)));
        }
        for (int i = 0; i < devices.size(); i++) {
            sb[topology.cpuCount() + i] = devices.get(i).aml();
        }
        Sdt t = new Sdt("DSDT", 2, oem);
        t.body.bytes(Aml.scope("\\_SB", sb));
        t.body.bytes(Aml.name("_S5", Aml.pkg(Aml.integer(S5_SLEEP_TYPE), Aml.integer(S5_SLEEP_TYPE),
                Aml.integer(0), Aml.integer(0))));
        return t.finish();
    }
}
