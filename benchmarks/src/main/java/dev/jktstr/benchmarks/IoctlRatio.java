package dev.jktstr.benchmarks;

import dev.jktstr.nativeio.FileDescriptor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link IoctlBenchmark} under JMH, then the same ioctl loop compiled from C with gcc, in the
 * same session, and prints both and their ratio. Target: FFM within 1.2x of C.
 */
public final class IoctlRatio {

    private IoctlRatio() {}

    public static void main(String[] args) throws Throwable {
        String kvmPath = System.getProperty("jktstr.kvm.path", "/dev/kvm");
        if (!Files.isReadable(Path.of(kvmPath))) {
            System.err.println("ioctl benchmark skipped: " + kvmPath + " is missing or not readable");
            System.exit(2);
        }
        // The machines are noisy: C runs before and after JMH, and best cases are compared with
        // best cases (C: fastest round; FFM: fastest JMH iteration), next to the means.
        double cBefore = measureC(kvmPath);
        Collection<RunResult> results = measureFfm();
        double cNs = Math.min(cBefore, measureC(kvmPath));
        for (String variant : List.of("criticalDowncall", "bareDowncall", "generatedHandle", "getApiVersion")) {
            var ffm = statistics(results, variant);
            System.out.printf("ioctl(KVM_GET_API_VERSION) %-16s FFM best %.1f ns/call (mean %.1f), C best %.1f ns/call;"
                            + " ratio FFM/C %.3f%n", variant, ffm.getMin(), ffm.getMean(), cNs, ffm.getMin() / cNs);
        }
        var wrapper = statistics(results, "getApiVersion");
        double inProcess = measureCInProcess(kvmPath);
        System.out.printf("the C loop run inside this JVM's process (one FFM call for the whole loop): best %.1f ns/call%n",
                inProcess);
        System.out.printf("ratio FFM/C through FileDescriptor.ioctl: %.3f against the C program, %.3f against the same"
                + " C loop in this process (target <= 1.2)%n", wrapper.getMin() / cNs, wrapper.getMin() / inProcess);
    }

    /**
     * The C loop as a shared library called once through FFM: the syscalls then run in the JVM's
     * process, so what is left between it and the per-call FFM numbers is the downcall itself.
     */
    static double measureCInProcess(String kvmPath) throws Throwable {
        try (CPeer peer = CPeer.of("ioctl_loop.c");
                Arena arena = Arena.ofConfined();
                FileDescriptor kvm = FileDescriptor.open(Path.of(kvmPath), KvmDevice.OPEN_FLAGS)) {
            Path library = peer.compile("libioctl_loop.so", "-shared", "-fPIC", "-DIOCTL_LOOP_LIBRARY");
            MethodHandle loop = Linker.nativeLinker().downcallHandle(
                    SymbolLookup.libraryLookup(library, arena).findOrThrow("ioctl_loop_ns"),
                    FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT));
            double ns = (double) loop.invokeExact(kvm.fd(), 1_000_000L, 5);
            if (ns < 0) {
                throw new IOException("ioctl(KVM_GET_API_VERSION) failed inside the C loop");
            }
            return ns;
        }
    }

    private static org.openjdk.jmh.util.Statistics statistics(Collection<RunResult> results, String method) {
        return results.stream().filter(r -> r.getParams().getBenchmark().endsWith("." + method)).findFirst()
                .orElseThrow().getPrimaryResult().getStatistics();
    }

    private static Collection<RunResult> measureFfm() throws RunnerException {
        return new Runner(new OptionsBuilder()
                        .include(IoctlBenchmark.class.getName())
                        .timeUnit(TimeUnit.NANOSECONDS)
                        .build())
                .run();
    }

    /** The C program: the same loop in its own process. */
    static double measureC(String kvmPath) throws IOException, InterruptedException {
        try (CPeer peer = CPeer.of("ioctl_loop.c")) {
            Path binary = peer.compile("ioctl_loop");
            return Double.parseDouble(CPeer.run(List.of(binary.toString(), kvmPath, "1000000", "5")).trim());
        }
    }
}
