package dev.jktstr.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.kvm.devices.Cmos;
import dev.jktstr.kvm.devices.I8042;
import dev.jktstr.kvm.devices.PostCodePort;
import dev.jktstr.kvm.devices.Serial16550;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/** The legacy devices give their registers as bytes and a fresh device takes them back; bytes no device gave are refused. */
class DeviceStateTest {

    @Test
    void serialKeepsRegistersAndUnreadBytes() {
        Serial16550 a = new Serial16550(b -> { }, () -> { });
        a.write(3, 1, 0x80); // DLAB
        a.write(0, 1, 0x01);
        a.write(3, 1, 0x03);
        a.write(1, 1, 0x01); // RX interrupt
        a.write(7, 1, 0x5A);
        a.receive("hi".getBytes());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Serial16550 b = new Serial16550(out::write, () -> { });
        b.restoreState(a.saveState());
        assertThat(b.read(1, 1)).isEqualTo(0x01);
        assertThat(b.read(3, 1)).isEqualTo(0x03);
        assertThat(b.read(7, 1)).isEqualTo(0x5A);
        assertThat(b.read(2, 1) & 0x0F).as("RX interrupt pending").isEqualTo(0x04);
        assertThat(b.read(0, 1)).isEqualTo('h');
        assertThat(b.read(0, 1)).isEqualTo('i');
        b.write(3, 1, 0x83);
        assertThat(b.read(0, 1)).as("divisor latch").isEqualTo(0x01);
        byte[] state = a.saveState();
        state[11] = 9; // claims more receive bytes than follow
        assertThatThrownBy(() -> b.restoreState(state)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.restoreState(new byte[3])).isInstanceOf(RuntimeException.class);
    }

    @Test
    void cmosI8042AndPostCodeRoundTrip() {
        Cmos cmos = new Cmos(Clock.systemUTC());
        cmos.write(0, 1, 0x40);
        cmos.write(1, 1, 0x77);
        Cmos cmos2 = new Cmos(Clock.systemUTC());
        cmos2.restoreState(cmos.saveState());
        assertThat(cmos2.read(0, 1)).isEqualTo(0x40);
        assertThat(cmos2.read(1, 1)).isEqualTo(0x77);
        assertThatThrownBy(() -> cmos2.restoreState(new byte[5])).isInstanceOf(IllegalArgumentException.class);

        I8042 kbd = new I8042(() -> { });
        kbd.write(4, 1, 0xAA); // self-test: 0x55 waits in the output buffer
        I8042 kbd2 = new I8042(() -> { });
        kbd2.restoreState(kbd.saveState());
        assertThat(kbd2.read(4, 1)).isEqualTo(0x01);
        assertThat(kbd2.read(0, 1)).isEqualTo(0x55);
        assertThatThrownBy(() -> kbd2.restoreState(new byte[] {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}))
                .isInstanceOf(IllegalArgumentException.class);

        PostCodePort post = new PostCodePort();
        post.write(0, 1, 0x42);
        PostCodePort post2 = new PostCodePort();
        post2.restoreState(post.saveState());
        assertThat(post2.lastValue()).isEqualTo(0x42);
    }
}
