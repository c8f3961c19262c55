package dev.jktstr.virtio;

import static dev.jktstr.bindings.virtio.VirtioH.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.virtio.TestDriver.Buf;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The driver resets and re-initialises devices while their worker threads are busy and host threads
 * stream bytes: a well-behaved guest must never see a failure, nothing may escape guest RAM, and
 * close must still join the worker and end the streams.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang guard, not a performance assertion
class ResetRaceTest {

    @Test
    void blockResetsWhileTheWorkerServesRequests() throws InterruptedException {
        try (FakeGuest guest = new FakeGuest(); VirtioBlock disk = VirtioBlock.ram(1 << 20).build()) {
            BlockGuest g = new BlockGuest(guest, disk);
            g.d.device.start();
            long data = guest.alloc(64 * 1024, 4096);
            Random random = new Random(11);
            long served = 0;
            for (int round = 0; round < 300; round++) {
                g.init();
                int n = 1 + random.nextInt(20);
                for (int i = 0; i < n; i++) {
                    boolean read = random.nextBoolean();
                    g.post(read ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT, random.nextInt(2000),
                            new Buf(data + 4096L * (i % 16), 4096, read));
                }
                g.q.kick();
                if (random.nextInt(3) == 0) {
                    int done = 0;
                    while (done < n) {
                        g.d.awaitInterrupt(10);
                        done += g.q.reap().size();
                    }
                    served += done;
                } // else: reset right away, with requests in flight
                assertThat(g.d.device.failure()).isEmpty();
                g.d.write(VIRTIO_MMIO_STATUS, 0);
                assertThat(g.d.read(VIRTIO_MMIO_STATUS)).isZero();
            }
            assertThat(served).isPositive();
            assertThat(guest.canariesIntact()).isTrue();
            g.d.device.close();
            assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("virtio-blk"));
        }
    }

    @Test
    void consoleResetsWhileHostThreadsStream() throws Exception {
        try (FakeGuest guest = new FakeGuest()) {
            VirtioConsole console = VirtioConsole.withNamedPorts(List.of("jktstr.ctl"));
            ConsoleGuest g = new ConsoleGuest(guest, console, "racing");
            g.d.device.start();
            ConsolePort hvc = console.port(0);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong hostRead = new AtomicLong();
            CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
                byte[] b = new byte[8192];
                try {
                    int n;
                    while ((n = hvc.fromGuest().read(b)) >= 0) {
                        hostRead.addAndGet(n);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
                return hostRead.get();
            });
            CompletableFuture<Throwable> writer = CompletableFuture.supplyAsync(() -> {
                byte[] b = new byte[3000];
                while (!stop.get()) {
                    try {
                        hvc.toGuest().write(b);
                    } catch (IOException e) {
                        return e; // closed at the end
                    }
                }
                return null;
            });
            Random random = new Random(12);
            long guestReceived = 0;
            for (int round = 0; round < 200; round++) {
                g.init(1L << VIRTIO_F_VERSION_1); // single-port console: no handshake needed
                for (int i = 0; i < 1 + random.nextInt(10); i++) {
                    g.transmit(0, new byte[1 + random.nextInt(4000)]);
                    g.postReceive(g.rx(0), 4096);
                }
                g.tx(0).kick();
                g.rx(0).kick();
                if (random.nextBoolean()) {
                    g.d.awaitInterrupt(5);
                }
                for (TestDriver.Used u : g.rx(0).reap()) {
                    guestReceived += u.len();
                }
                assertThat(g.d.device.failure()).isEmpty();
                g.d.write(VIRTIO_MMIO_STATUS, 0);
            }
            stop.set(true);
            g.d.device.close();
            Throwable writerEnd = writer.get(30, TimeUnit.SECONDS); // blocked on a full buffer: closed under it
            if (writerEnd != null) {
                assertThat(writerEnd).isInstanceOf(IOException.class).hasMessageContaining("closed");
            }
            assertThat(reader.get(30, TimeUnit.SECONDS)).isPositive();
            assertThat(guestReceived).isPositive();
            assertThat(guest.canariesIntact()).isTrue();
        }
    }
}
