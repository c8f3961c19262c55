package dev.jktstr.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.guest.GuestSession;
import dev.jktstr.testsupport.BootsVm;
import dev.jktstr.guest.ExecResult;
import dev.jktstr.guest.GuestImage;
import dev.jktstr.machine.GuestPageTables;
import dev.jktstr.machine.ExitReason;
import dev.jktstr.machine.MachineSpec;
import dev.jktstr.machine.Topology;
import dev.jktstr.machine.VcpuRegisters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** One guest for the whole class: agent round trips, guest memory, and a clean power off last. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@BootsVm
class QemuAgentEndToEndTest {

    private static GuestImage image;
    private static GuestSession guest;

    @BeforeAll
    static void boot() {
        TestGuests.assumeQemu();
        image = TestGuests.image();
        MachineSpec spec = MachineSpec.builder(TestGuests.bzImage()).initramfs(image.initramfs())
                .topology(new Topology(1, 1, 2, 1)).memoryPerNodeMib(512).commandLine("quiet").build();
        guest = GuestSession.boot(TestGuests.tcg(), spec, TestGuests.READY_TIMEOUT);
        System.out.printf("end-to-end guest: boot to agent ready %d ms%n", guest.bootToReady().toMillis());
    }

    @AfterAll
    static void shutDown() {
        if (guest != null) {
            guest.close();
        }
        if (image != null) {
            image.close();
        }
    }

    @Test
    @Order(1)
    void execRoundTrip() {
        ExecResult r = guest.agent().exec("echo hello from $(uname -s); echo oops >&2; exit 3");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdoutText()).isEqualTo("hello from Linux\n");
        assertThat(r.stderrText()).isEqualTo("oops\n");
    }

    @Test
    @Order(2)
    void sixteenMibFileSurvivesTheRoundTrip() throws NoSuchAlgorithmException {
        byte[] data = new byte[16 << 20];
        new Random(42).nextBytes(data);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        guest.agent().writeFile("/tmp/big.bin", data, 0644);
        ExecResult sum = guest.agent().exec("sha256sum /tmp/big.bin");
        assertThat(sum.stdoutText()).startsWith(sha + " ");
        byte[] back = guest.agent().readFile("/tmp/big.bin");
        assertThat(back).hasSize(data.length);
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(back))).isEqualTo(sha);
    }

    @Test
    @Order(3)
    void kmsgHoldsTheKernelBanner() {
        List<String> kmsg = guest.agent().readKmsg();
        assertThat(kmsg).anySatisfy(line -> assertThat(line).contains("Linux version"));
    }

    /**
     * Finds {@code linux_banner} in guest memory the hard way: System.map gives link-time addresses, a
     * page-table walk from CR3 gives the KASLR slide and the physical placement, and the string read
     * from guest RAM must equal what the guest itself reports in /proc/version.
     */
    @Test
    @Order(4)
    void linuxBannerInGuestMemoryMatchesProcVersion() throws IOException {
        long text = symbol("_text");
        long banner = symbol("linux_banner");
        String procVersion = guest.agent().exec("cat /proc/version").stdoutText();

        guest.machine().pause();
        String fromMemory;
        try {
            VcpuRegisters regs = guest.machine().registers(0);
            GuestPageTables walker = kernelWalker(regs.cr3(), regs.cr4());
            long textVa = walker.firstKernelImageSlot();
            assertThat(textVa).as("kernel image mapped").isNotEqualTo(GuestPageTables.NOT_MAPPED);
            long slide = textVa - text;

            long bannerPa = walker.translate(banner + slide);
            assertThat(bannerPa).as("linux_banner mapped").isNotEqualTo(GuestPageTables.NOT_MAPPED);
            System.out.printf("CR4.LA57=%d; KASLR: virtual slide 0x%x, _text at physical 0x%x, linux_banner at physical 0x%x%n",
                    (regs.cr4() >> 12) & 1, slide, walker.translate(textVa), bannerPa);
            fromMemory = guest.machine().memory().readCString(bannerPa, 512);
        } finally {
            guest.machine().resume();
        }
        assertThat(fromMemory).isEqualTo(procVersion);
    }

    /** With page-table isolation CR3 may hold the user half; the kernel half is the 8 KiB-aligned page below. */
    private static GuestPageTables kernelWalker(long cr3, long cr4) {
        GuestPageTables w = GuestPageTables.of(guest.machine().memory(), cr3, cr4);
        if (w.firstKernelImageSlot() != GuestPageTables.NOT_MAPPED) {
            return w;
        }
        return GuestPageTables.of(guest.machine().memory(), cr3 & ~0x1000L, cr4);
    }

    private static long symbol(String name) throws IOException {
        Path map = TestGuests.systemMap();
        try (var lines = Files.lines(map, StandardCharsets.US_ASCII)) {
            return lines.map(l -> l.split(" "))
                    .filter(f -> f.length == 3 && f[2].equals(name))
                    .map(f -> Long.parseUnsignedLong(f[0], 16))
                    .findFirst().orElseThrow(() -> new AssertionError(name + " not in " + map));
        }
    }

    @Test
    @Order(5)
    void registersNeedAPausedMachine() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> guest.machine().registers(0))
                .isInstanceOf(dev.jktstr.machine.MachineStateException.class);
    }

    @Test
    @Order(6)
    void freezeStopsEveryQemuThreadAndThawLetsTheGuestGoOn() throws IOException {
        double uptimeBefore = uptime();
        guest.machine().freeze();
        try {
            Path tasks = Path.of("/proc", Long.toString(qemuPid()), "task");
            try (var list = Files.list(tasks)) {
                for (Path task : list.toList()) {
                    String stat = Files.readString(task.resolve("stat"));
                    assertThat(stat.charAt(stat.lastIndexOf(')') + 2)).as("state of %s", task).isIn('T', 't');
                }
            }
            assertThat(guest.machine().isPaused()).as("freeze is not a QMP pause").isFalse();
            // guest memory stays readable while frozen
            assertThat(guest.machine().memory().readBytes(guest.machine().memory().ramRanges().getFirst().start(), 16))
                    .hasSize(16);
        } finally {
            guest.machine().thaw();
        }
        guest.agent().ping();
        assertThat(uptime()).as("the guest's clock moved on after thaw").isGreaterThan(uptimeBefore);
    }

    private static double uptime() {
        return Double.parseDouble(guest.agent().exec("cut -d' ' -f1 /proc/uptime").stdoutText().strip());
    }

    private static long qemuPid() throws IOException {
        // the only QEMU child of this JVM
        return ProcessHandle.current().descendants().filter(p -> p.info().command().orElse("").contains("qemu-system"))
                .findFirst().orElseThrow().pid();
    }

    @Test
    @Order(100)
    void powerOffIsReportedAsPoweroff() {
        guest.agent().powerOff();
        assertThat(guest.machine().awaitExit(Duration.ofSeconds(60))).isEqualTo(ExitReason.POWEROFF);
    }
}
