package dev.jktstr.kvm;

import dev.jktstr.bindings.libc.LibcH;
import dev.jktstr.kvm.x86.HostCpuid;
import dev.jktstr.nativeio.FileDescriptor;
import dev.jktstr.nativeio.NativeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@link HostVirtualization#classify} looks at. {@link #system()} reads this host; tests fake a host
 * with {@link #of} over temporary files, or implement the interface.
 */
public interface VirtualizationProbe {

    /** Whether the KVM device can be used by this process. */
    enum Access { MISSING, NOT_ACCESSIBLE, READ_WRITE }

    /** The KVM device node, whether it opens read-write, and if not why (an errno name). */
    record Device(Path path, Access access, String problem) {
        public static Device readWrite(Path path) {
            return new Device(path, Access.READ_WRITE, "");
        }
    }

    Device kvmDevice();

    /** Whether a kernel module is loaded or built in (/sys/module/NAME, /proc/modules). */
    boolean moduleLoaded(String name);

    /** The host CPU's CPUID; empty answers send the classification to {@link #cpuinfo()}. */
    HostCpuid cpuid();

    /** /proc/cpuinfo (flags, model name); empty when unreadable. */
    String cpuinfo();

    /** This host: /dev/kvm, /sys/module, /proc/modules, /proc/cpuinfo and the CPUID instruction itself. */
    static VirtualizationProbe system() {
        return of(Kvm.DEFAULT_DEVICE, Path.of("/sys/module"), Path.of("/proc/modules"), Path.of("/proc/cpuinfo"),
                HostCpuid.executed());
    }

    /**
     * A host described by files: {@code device} is opened read-write (and closed again) to tell an
     * accessible KVM device from one that is not; a module is loaded when {@code sysModule/NAME} is a
     * directory or {@code procModules} has a line for it.
     */
    static VirtualizationProbe of(Path device, Path sysModule, Path procModules, Path cpuinfo, HostCpuid cpuid) {
        return new VirtualizationProbe() {
            @Override
            public Device kvmDevice() {
                if (!Files.exists(device)) {
                    return new Device(device, Access.MISSING, "does not exist");
                }
                try {
                    FileDescriptor.open(device, LibcH.O_RDWR | LibcH.O_CLOEXEC).close();
                    return Device.readWrite(device);
                } catch (NativeException e) {
                    return new Device(device, Access.NOT_ACCESSIBLE, e.errnoName());
                } catch (RuntimeException e) {
                    return new Device(device, Access.NOT_ACCESSIBLE, e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            }

            @Override
            public boolean moduleLoaded(String name) {
                return Files.isDirectory(sysModule.resolve(name)) || read(procModules).lines()
                        .anyMatch(l -> l.startsWith(name + " "));
            }

            @Override
            public HostCpuid cpuid() {
                return cpuid;
            }

            @Override
            public String cpuinfo() {
                return read(cpuinfo);
            }

            private static String read(Path file) {
                try {
                    return Files.readString(file, StandardCharsets.ISO_8859_1);
                } catch (IOException | RuntimeException e) {
                    return "";
                }
            }
        };
    }
}
