package dev.jktstr.kvm;

import dev.jktstr.kvm.x86.CpuidEntry;
import dev.jktstr.kvm.x86.HostCpuid;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What kind of KVM this host has, and so what speed to expect from a guest: the one classification
 * {@code jktstr doctor}, {@link KvmBackend}'s ranking and support messages, {@link Kvm#isPvm()} and the
 * tests go by.
 *
 * <p>How it is told, in this order:
 * <ol>
 * <li>{@link Kind#NONE}: /dev/kvm is missing, or does not open read-write for this process.</li>
 * <li>{@link Kind#PVM}: module {@code kvm_pvm} is loaded (PVM emulates guest kernel code; our VMM cannot
 *     boot Linux on it). Were {@code kvm_intel}/{@code kvm_amd} loaded beside it we could not tell which one
 *     backs /dev/kvm, and assume the slow one.</li>
 * <li>the virtualization extension: module {@code kvm_intel} (vmx) or {@code kvm_amd} (svm), else the
 *     CPUID bits (1:ECX[5] VMX, 0x80000001:ECX[2] SVM), else the /proc/cpuinfo flags; none of them is
 *     {@link Kind#UNKNOWN}.</li>
 * <li>whether this host is itself a guest: CPUID leaf 1 ECX bit 31 (the "hypervisor" bit), and who its
 *     hypervisor is: the 12-byte signature at CPUID leaf 0x40000000 (EBX, ECX, EDX). No bit:
 *     {@link Kind#HARDWARE}. {@code TCGTCGTCGTCG} (QEMU TCG): {@link Kind#NESTED_UNDER_EMULATOR}. Anything
 *     else ({@code KVMKVMKVM}, {@code Microsoft Hv}, {@code VMwareVMware}, {@code XenVMMXenVMM}, unknown):
 *     {@link Kind#NESTED_UNDER_HYPERVISOR}, hardware-assisted all the way down.</li>
 * </ol>
 * CPUID comes from the instruction itself ({@link HostCpuid#executed()}, FFM, no JNI). Where it cannot be
 * run, the hypervisor bit comes from the /proc/cpuinfo {@code hypervisor} flag, and the only hypervisor
 * told apart is QEMU TCG, by its model name ({@code QEMU TCG CPU version ...}, which {@code -cpu max} and the
 * {@code qemu64} models show under TCG only); any other is "unknown".
 *
 * @param kind what backs /dev/kvm, as far as speed goes
 * @param device the KVM device node, and why it cannot be used where {@code kind} is NONE
 * @param extension {@code vmx}, {@code svm}, or empty when not seen
 * @param hypervisor who runs this host, when it is itself a guest; empty on bare metal
 */
public record HostVirtualization(Kind kind, VirtualizationProbe.Device device, String extension,
                                 Optional<Hypervisor> hypervisor) {

    /** The kinds, by what a guest's speed will be. */
    public enum Kind {
        /** No usable /dev/kvm: QEMU TCG. */
        NONE,
        /** /dev/kvm is PVM: guest kernel code is emulated; Linux does not boot on our VMM, QEMU TCG is used. */
        PVM,
        /** VT-x/AMD-V on bare metal: native speed. */
        HARDWARE,
        /** Real KVM in a guest of a hardware-assisted hypervisor (KVM, Hyper-V, VMware, Xen): near native. */
        NESTED_UNDER_HYPERVISOR,
        /** Real KVM in a guest of an emulator (QEMU TCG): ~50x slower, for correctness checks only. */
        NESTED_UNDER_EMULATOR,
        /** /dev/kvm opens, but neither a known KVM module nor a vmx/svm flag says what backs it. */
        UNKNOWN
    }

    /**
     * The hypervisor this host runs under.
     *
     * @param signature the CPUID 0x40000000 signature (trailing NULs dropped), or empty when not read
     * @param name what to call it
     * @param emulator whether it emulates the CPU (QEMU TCG) rather than using VT-x/AMD-V
     * @param known whether the signature is one we know
     */
    public record Hypervisor(String signature, String name, boolean emulator, boolean known) {

        private static final List<Hypervisor> KNOWN = List.of(
                new Hypervisor("KVMKVMKVM", "KVM", false, true),
                new Hypervisor("Linux KVM Hv", "KVM (Hyper-V interface)", false, true),
                new Hypervisor("TCGTCGTCGTCG", "QEMU TCG", true, true),
                new Hypervisor("Microsoft Hv", "Hyper-V", false, true),
                new Hypervisor("VMwareVMware", "VMware", false, true),
                new Hypervisor("XenVMMXenVMM", "Xen", false, true),
                new Hypervisor("VBoxVBoxVBox", "VirtualBox", false, true),
                new Hypervisor("bhyve bhyve", "bhyve", false, true),
                new Hypervisor("ACRNACRNACRN", "ACRN", false, true),
                new Hypervisor(" QNXQVMBSQG", "QNX hypervisor", false, true),
                new Hypervisor(" prl hyperv", "Parallels", false, true),
                new Hypervisor(" lrpepyh vr", "Parallels", false, true));

        /** The hypervisor a CPUID signature names; unknown signatures are kept as read. */
        public static Hypervisor ofSignature(String raw) {
            String signature = raw.replaceAll("[\\x00 ]+$", "");
            for (Hypervisor h : KNOWN) {
                if (h.signature.strip().equals(signature.strip())) {
                    return h;
                }
            }
            String printable = signature.replaceAll("[^\\x20-\\x7e]", "?");
            return new Hypervisor(printable, printable.isBlank() ? "an unidentified hypervisor (blank CPUID signature)"
                    : "an unknown hypervisor", false, false);
        }

        /** "KVM (KVMKVMKVM)": the name, and the signature it was told by. */
        public String describe() {
            return signature.isBlank() ? name : name + " (" + signature + ")";
        }
    }

    /** The hypervisor CPUID range; a hypervisor that also offers the Hyper-V interface puts its own 0x100 on. */
    static final int HYPERVISOR_LEAF = 0x40000000;
    private static final Pattern FLAGS = Pattern.compile("^flags\\s*:(.*)$", Pattern.MULTILINE);
    private static final Pattern MODEL = Pattern.compile("^model name\\s*:(.*)$", Pattern.MULTILINE);

    /** This host, classified once per JVM (a host does not change its virtualization under a running JVM). */
    public static HostVirtualization host() {
        return Holder.HOST;
    }

    private static final class Holder {
        static final HostVirtualization HOST = classify(VirtualizationProbe.system());
    }

    /** Classifies the host a probe describes (see the class comment for the rules). */
    public static HostVirtualization classify(VirtualizationProbe probe) {
        VirtualizationProbe.Device device = probe.kvmDevice();
        HostCpuid cpuid = probe.cpuid();
        Optional<CpuidEntry> leaf1 = cpuid.leaf(1);
        String cpuinfo = leaf1.isEmpty() ? probe.cpuinfo() : ""; // the fallback only
        List<String> flags = flags(cpuinfo);

        boolean guest = leaf1.map(e -> (e.ecx() >>> 31) == 1).orElseGet(() -> flags.contains("hypervisor"));
        Optional<Hypervisor> hypervisor = !guest ? Optional.empty()
                : Optional.of(leaf1.isPresent() ? fromCpuid(cpuid) : fromCpuinfo(cpuinfo));
        String extension = extension(probe, cpuid, leaf1, flags);

        Kind kind;
        if (device.access() != VirtualizationProbe.Access.READ_WRITE) {
            kind = Kind.NONE;
        } else if (probe.moduleLoaded("kvm_pvm")) {
            kind = Kind.PVM;
        } else if (extension.isEmpty()) {
            kind = Kind.UNKNOWN;
        } else if (hypervisor.isEmpty()) {
            kind = Kind.HARDWARE;
        } else if (hypervisor.get().emulator()) {
            kind = Kind.NESTED_UNDER_EMULATOR;
        } else {
            kind = Kind.NESTED_UNDER_HYPERVISOR;
        }
        return new HostVirtualization(kind, device, extension, hypervisor);
    }

    private static Hypervisor fromCpuid(HostCpuid cpuid) {
        Hypervisor first = cpuid.leaf(HYPERVISOR_LEAF).map(e -> Hypervisor.ofSignature(HostCpuid.signatureEbxEcxEdx(e)))
                .orElse(Hypervisor.ofSignature(""));
        if (first.name().equals("Hyper-V")) {
            // KVM with Hyper-V enlightenments answers "Microsoft Hv" first and its own signature 0x100 on.
            Optional<Hypervisor> kvm = cpuid.leaf(HYPERVISOR_LEAF + 0x100)
                    .map(e -> Hypervisor.ofSignature(HostCpuid.signatureEbxEcxEdx(e)))
                    .filter(h -> h.signature().equals("KVMKVMKVM"));
            if (kvm.isPresent()) {
                return kvm.get();
            }
        }
        return first;
    }

    /** Without CPUID: QEMU TCG by its model name, else a hypervisor we cannot name. */
    private static Hypervisor fromCpuinfo(String cpuinfo) {
        Matcher model = MODEL.matcher(cpuinfo);
        if (model.find() && model.group(1).contains("QEMU TCG CPU")) {
            return new Hypervisor("", "QEMU TCG (by the CPU model name)", true, true);
        }
        return new Hypervisor("", "an unknown hypervisor (CPUID not readable here, /proc/cpuinfo names none)",
                false, false);
    }

    private static String extension(VirtualizationProbe probe, HostCpuid cpuid, Optional<CpuidEntry> leaf1,
                                     List<String> flags) {
        if (probe.moduleLoaded("kvm_intel")) {
            return "vmx";
        }
        if (probe.moduleLoaded("kvm_amd")) {
            return "svm";
        }
        if (leaf1.isPresent()) {
            if ((leaf1.get().ecx() & (1 << 5)) != 0) {
                return "vmx";
            }
            boolean extended = cpuid.leaf(0x80000000).map(e -> Integer.compareUnsigned(e.eax(), 0x80000001) >= 0)
                    .orElse(false);
            if (extended && cpuid.leaf(0x80000001).map(e -> (e.ecx() & (1 << 2)) != 0).orElse(false)) {
                return "svm";
            }
            return "";
        }
        return flags.contains("vmx") ? "vmx" : flags.contains("svm") ? "svm" : "";
    }

    private static List<String> flags(String cpuinfo) {
        Matcher m = FLAGS.matcher(cpuinfo);
        return m.find() ? Arrays.asList(m.group(1).strip().split("\\s+")) : List.of();
    }

    /** Whether guests run on VT-x/AMD-V (QEMU's KVM accelerator is worth using). */
    public boolean hardwareAssisted() {
        return kind == Kind.HARDWARE || kind == Kind.NESTED_UNDER_HYPERVISOR || kind == Kind.NESTED_UNDER_EMULATOR;
    }

    /** What this host's KVM is, in one phrase: "hardware KVM (svm), nested under KVM (KVMKVMKVM)". */
    public String describe() {
        String ext = extension.isEmpty() ? "" : " (" + extension + ")";
        String under = hypervisor.map(h -> "this host is a guest of " + h.describe()).orElse("bare metal");
        return switch (kind) {
            case NONE -> "no usable KVM: " + device.path() + (device.access() == VirtualizationProbe.Access.MISSING
                    ? " does not exist" : " is not accessible (" + device.problem() + ")")
                    + hypervisor.map(h -> "; this host is a guest of " + h.describe()).orElse("");
            case PVM -> "PVM (kvm_pvm): KVM that emulates guest kernel code; " + under;
            case HARDWARE -> "hardware KVM" + ext + " on bare metal";
            case NESTED_UNDER_HYPERVISOR -> "hardware KVM" + ext + ", nested: " + under;
            case NESTED_UNDER_EMULATOR -> "KVM" + ext + ", nested: " + under;
            case UNKNOWN -> "KVM of unknown backing (no kvm_intel, kvm_amd or kvm_pvm module, no vmx/svm flag); " + under;
        };
    }

    /** What speed a guest will run at here, and on what. Never says "native speed" where it is not. */
    public String expectedSpeed() {
        return switch (kind) {
            case NONE -> "the qemu backend runs guests with QEMU TCG (software emulation: Linux boots in seconds,"
                    + " not in a fraction of one)";
            case PVM -> "our VMM cannot boot Linux here (PVM emulates guest kernel code); the qemu backend runs"
                    + " guests with QEMU TCG";
            case HARDWARE -> "native speed";
            case NESTED_UNDER_HYPERVISOR -> hypervisor.orElseThrow().known()
                    ? "near native speed (nested virtualization makes VM exits dearer)"
                    : "probably near native speed, if that hypervisor uses VT-x/AMD-V itself";
            case NESTED_UNDER_EMULATOR -> "real KVM but emulated underneath: ~50x slower, for correctness checks only";
            case UNKNOWN -> "speed unknown";
        };
    }

    /** {@link #describe()}: {@link #expectedSpeed()}. */
    @Override
    public String toString() {
        return describe() + ": " + expectedSpeed();
    }
}
