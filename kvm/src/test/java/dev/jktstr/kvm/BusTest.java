package dev.jktstr.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.kvm.devices.I8042;
import dev.jktstr.kvm.devices.Serial16550;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The bus and device state machines, without KVM. */
class BusTest {

    record Fixed(long value) implements BusDevice {
        @Override
        public long read(long offset, int size) {
            return value + offset;
        }

        @Override
        public void write(long offset, int size, long v) {
        }
    }

    @Test
    void dispatchesByRangeAndRejectsOverlaps() {
        Bus bus = new Bus("test");
        bus.register(0x100, 0x10, new Fixed(1000));
        bus.register(0x10, 0x10, new Fixed(2000));
        bus.register(0x110, 0x1, new Fixed(3000));
        assertThat(bus.read(0x105, 1)).isEqualTo(1005);
        assertThat(bus.read(0x1F, 1)).isEqualTo(2015);
        assertThat(bus.read(0x110, 1)).isEqualTo(3000);
        assertThat(bus.read(0x20, 1)).isEqualTo(-1L);
        assertThat(bus.write(0x111, 1, 0)).isFalse();
        assertThat(bus.unclaimedAccesses()).isEqualTo(2);
        assertThatThrownBy(() -> bus.register(0xF8, 0x10, new Fixed(0))).hasMessageContaining("overlaps 0x100+16");
        assertThatThrownBy(() -> bus.register(0x1F, 1, new Fixed(0))).hasMessageContaining("overlaps 0x10+16");
    }

    @Test
    void serialTransmitsReceivesAndRaisesInterrupts() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicInteger irqs = new AtomicInteger();
        Serial16550 uart = new Serial16550(out::write, irqs::incrementAndGet);
        assertThat(uart.read(5, 1) & 0x60).isEqualTo(0x60); // transmitter empty
        uart.write(0, 1, 'A');
        assertThat(out.toString()).isEqualTo("A");
        uart.write(3, 1, 0x80); // DLAB: divisor latch, not data
        uart.write(0, 1, 0x01);
        assertThat(uart.read(0, 1)).isEqualTo(1);
        uart.write(3, 1, 0x03);
        uart.write(1, 1, 0x02); // THR-empty interrupt on: raised at once
        assertThat(irqs.get()).isEqualTo(1);
        assertThat(uart.read(2, 1) & 0x0F).isEqualTo(0x02);
        assertThat(uart.read(2, 1) & 0x0F).isEqualTo(0x01); // cleared by reading IIR
        uart.write(1, 1, 0x01); // RX interrupt only
        uart.receive(new byte[] {'x', 'y'});
        assertThat(irqs.get()).isEqualTo(2);
        assertThat(uart.read(5, 1) & 1).isEqualTo(1);
        assertThat(uart.read(2, 1) & 0x0F).isEqualTo(0x04);
        assertThat(uart.read(0, 1)).isEqualTo('x');
        assertThat(uart.read(0, 1)).isEqualTo('y');
        assertThat(uart.read(5, 1) & 1).isZero();
        uart.receive(new byte[200_000]); // a flood is bounded
        int n = 0;
        while ((uart.read(5, 1) & 1) != 0) {
            uart.read(0, 1);
            n++;
        }
        assertThat(n).isEqualTo(64 * 1024);
    }

    @Test
    void i8042PulsesResetOnlyOnFe() {
        AtomicInteger resets = new AtomicInteger();
        I8042 kbc = new I8042(resets::incrementAndGet);
        kbc.write(4, 1, 0xAA); // self test
        assertThat(kbc.read(4, 1) & 1).isEqualTo(1);
        assertThat(kbc.read(0, 1)).isEqualTo(0x55);
        assertThat(resets.get()).isZero();
        kbc.write(4, 1, 0xFE);
        assertThat(resets.get()).isEqualTo(1);
    }
}
