package dev.jktstr.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jktstr.bindings.libc.LibcH;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class MmapAndEventFdTest {

    @Test
    void anonymousMappingIsUsableUntilClosed() {
        Mmap mapping = Mmap.anonymous(1 << 20, LibcH.PROT_READ | LibcH.PROT_WRITE, LibcH.MAP_PRIVATE);
        MemorySegment memory = mapping.segment();
        assertThat(mapping.length()).isEqualTo(1 << 20);
        assertThat(memory.address() % 4096).isZero();
        memory.set(ValueLayout.JAVA_LONG, (1 << 20) - 8, 0x1234_5678_9abcL);
        assertThat(memory.get(ValueLayout.JAVA_LONG, (1 << 20) - 8)).isEqualTo(0x1234_5678_9abcL);

        mapping.close();
        mapping.close();

        assertThatThrownBy(() -> memory.get(ValueLayout.JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aMappingTheKernelRefusesNamesItsErrno() {
        assertThatThrownBy(() -> Mmap.anonymous(1 << 20, LibcH.PROT_READ, 0))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errnoName()).isEqualTo("EINVAL"));
    }

    @Test
    void eventFdCountsSignals() {
        try (EventFd event = EventFd.create(0, LibcH.EFD_NONBLOCK)) {
            event.signal(3);
            event.signal(4);
            assertThat(event.read()).isEqualTo(7);
            assertThatThrownBy(event::read)
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errnoName()).isEqualTo("EAGAIN"));
        }
    }
}
