package dev.jktstr.benchmarks;

import dev.jktstr.kvm.VirtualMachine;
import dev.jktstr.machine.ExitReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Port-I/O exits per second: the same guest loop run by our VMM (vCPU thread in Java, exit dispatched
 * through the bus) and by a minimal C VMM compiled from the bundled pio_loop.c with gcc, in the same
 * run; prints both and the ratio Java/C. The C peer runs before and after, best rounds are compared.
 */
public final class KvmPioRatio {

    private KvmPioRatio() {}

    public static void main(String[] args) throws Exception {
        if (!Files.isWritable(Path.of("/dev/kvm"))) {
            System.err.println("kvm pio benchmark skipped: /dev/kvm is missing or not accessible");
            System.exit(2);
        }
        int exits = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = 5;
        byte[] guest = KvmGuests.pioLoop(exits);
        try (CPeer cPeer = CPeer.of("pio_loop.c")) {
            Path bin = Files.write(cPeer.dir().resolve("guest.bin"), guest);
            Path peer = cPeer.compile("pio_loop");
            double c = 0;
            for (int i = 0; i < rounds; i++) {
                c = Math.max(c, Double.parseDouble(CPeer.run(List.of(peer.toString(), "/dev/kvm", bin.toString(),
                        Integer.toString(exits))).trim()));
            }
            double java = 0;
            for (int i = 0; i < rounds + 2; i++) { // two warm-up rounds for the JIT
                double r = javaRound(guest, exits);
                java = i < 2 ? java : Math.max(java, r);
            }
            for (int i = 0; i < rounds; i++) {
                c = Math.max(c, Double.parseDouble(CPeer.run(List.of(peer.toString(), "/dev/kvm", bin.toString(),
                        Integer.toString(exits))).trim()));
            }
            System.out.printf("kvm PIO exits/s (%d-exit loop, best of %d): jktstr %.0f, C %.0f; ratio jktstr/C %.3f%n",
                    exits, rounds, java, c, java / c);
        }
    }

    private static double javaRound(byte[] guest, int exits) {
        KvmGuests.Stamp stamp = new KvmGuests.Stamp();
        try (VirtualMachine vm = VirtualMachine.builder().memoryMib(16).build()) {
            vm.pio().register(0x500, 1, stamp);
            KvmGuests.load(vm, guest).start();
            if (vm.awaitExit(Duration.ofMinutes(5)) != ExitReason.POWEROFF) {
                throw new IllegalStateException("guest did not power off: " + vm.exit());
            }
        }
        if (stamp.count != exits) {
            throw new IllegalStateException("saw " + stamp.count + " exits, expected " + exits);
        }
        return (exits - 1) / ((stamp.last - stamp.first) / 1e9);
    }
}
