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

    @Setup(Level.Trial)
    public void open() {
        kvm = FileDescriptor.open(Path.of(System.getProperty("jktstr.kvm.path", "/dev/kvm")), KvmDevice.OPEN_FLAGS);
    }

    @TearDown(Level.Trial)
    public void close() {
        kvm.close();
    }

    @Benchmark
    public int getApiVersion() {
        return kvm.ioctl(KvmH.KVM_GET_API_VERSION);
    }
}
