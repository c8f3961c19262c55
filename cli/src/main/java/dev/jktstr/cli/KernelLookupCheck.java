package dev.jktstr.cli;

import dev.jktstr.kconfig.KernelImage;
import dev.jktstr.kconfig.KernelLookup;
import dev.jktstr.kconfig.KernelNotFoundException;

/** Doctor's kernel line: whether the lookup chain finds a kernel to boot, and with what beside it. */
final class KernelLookupCheck {
    private KernelLookupCheck() {}

    static Check run() {
        try {
            KernelImage kernel = KernelLookup.standard().find();
            String extras = (kernel.systemMap().isPresent() ? "System.map" : "no System.map")
                    + ", " + (kernel.vmlinux().isPresent() ? "vmlinux" : "no vmlinux (introspection needs BTF)");
            if (kernel.systemMap().isEmpty()) {
                return Check.warn("kernel", kernel.image() + " (from " + kernel.origin() + "), " + extras,
                        "put System.map beside the image, or build one: jktstr kernel build --debian");
            }
            return Check.ok("kernel", kernel.image() + " (from " + kernel.origin() + "), " + extras);
        } catch (KernelNotFoundException e) {
            return Check.warn("kernel", "no kernel found (" + e.tried().size() + " places tried: "
                            + String.join("; ", e.tried()) + ")",
                    "jktstr kernel build --debian, or set JKTSTR_KERNEL to a kernel directory or bzImage");
        }
    }
}
