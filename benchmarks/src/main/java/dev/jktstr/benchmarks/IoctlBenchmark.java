package dev.jktstr.benchmarks;

import dev.jktstr.bindings.kvm.KvmH;
import dev.jktstr.nativeio.FileDescriptor;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one FFM downcall through our wrapper: {@code ioctl(kvm_fd, KVM_GET_API_VERSION)},
 * errno capture included. {@link IoctlRatio} runs it next to the same loop in C.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class IoctlBenchmark {

    private FileDescriptor kvm;
    private int rawFd;
    private final java.lang.foreign.MemorySegment capture =
            java.lang.foreign.Arena.ofAuto().allocate(java.lang.foreign.Linker.Option.captureStateLayout());
    /** The same ioctl without errno capture: what capture costs. */
    private static final java.lang.invoke.MethodHandle IOCTL_NO_CAPTURE = java.lang.foreign.Linker.nativeLinker()
            .downcallHandle(java.lang.foreign.Linker.nativeLinker().defaultLookup().findOrThrow("ioctl"),
                    java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT,
                            java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_LONG,
                            java.lang.foreign.ValueLayout.JAVA_LONG),
                    java.lang.foreign.Linker.Option.firstVariadicArg(2));

    @Setup(Level.Trial)
    public void open() {
        kvm = FileDescriptor.open(Path.of(System.getProperty("jktstr.kvm.path", "/dev/kvm")), KvmDevice.OPEN_FLAGS);
        rawFd = kvm.fd();
    }

    @TearDown(Level.Trial)
    public void close() {
        kvm.close();
    }

    /** The wrapper every layer uses: cached handle, per-thread errno capture, errno name on failure. */
    @Benchmark
    public int getApiVersion() {
        return kvm.ioctl(KvmH.KVM_GET_API_VERSION);
    }

    /** The generated handle alone, with errno capture: the wrapper's own cost is the difference. */
    @Benchmark
    public int generatedHandle() throws Throwable {
        return (int) dev.jktstr.bindings.libc.LibcH.ioctl$long$mh.invokeExact(capture, rawFd,
                KvmH.KVM_GET_API_VERSION, 0L);
    }

    /** A critical downcall (no thread-state transition): only for calls that never block. */
    private static final java.lang.invoke.MethodHandle IOCTL_CRITICAL = java.lang.foreign.Linker.nativeLinker()
            .downcallHandle(java.lang.foreign.Linker.nativeLinker().defaultLookup().findOrThrow("ioctl"),
                    java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT,
                            java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_LONG,
                            java.lang.foreign.ValueLayout.JAVA_LONG),
                    java.lang.foreign.Linker.Option.firstVariadicArg(2), java.lang.foreign.Linker.Option.critical(false));

    @Benchmark
    public int criticalDowncall() throws Throwable {
        return (int) IOCTL_CRITICAL.invokeExact(rawFd, KvmH.KVM_GET_API_VERSION, 0L);
    }

    /** A bare downcall without errno capture: the floor FFM gives. */
    @Benchmark
    public int bareDowncall() throws Throwable {
        return (int) IOCTL_NO_CAPTURE.invokeExact(rawFd, KvmH.KVM_GET_API_VERSION, 0L);
    }
}
