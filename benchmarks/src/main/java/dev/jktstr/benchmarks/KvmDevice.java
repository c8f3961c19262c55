package dev.jktstr.benchmarks;

import dev.jktstr.bindings.libc.LibcH;

/** How the benchmarks open /dev/kvm, the same way the VMM does. */
final class KvmDevice {
    static final int OPEN_FLAGS = (int) (LibcH.O_RDWR | LibcH.O_CLOEXEC);

    private KvmDevice() {}
}
