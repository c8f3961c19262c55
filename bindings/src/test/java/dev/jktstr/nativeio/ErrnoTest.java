package dev.jktstr.nativeio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jktstr.bindings.libc.LibcH;
import org.junit.jupiter.api.Test;

class ErrnoTest {

    @Test
    void namesAndDescribesErrnoValues() {
        assertThat(Errno.name(LibcH.EINVAL)).isEqualTo("EINVAL");
        assertThat(Errno.name(13)).isEqualTo("EACCES");
        assertThat(Errno.name(LibcH.EWOULDBLOCK)).isEqualTo("EAGAIN");
        assertThat(Errno.description(LibcH.EACCES)).isEqualTo("Permission denied");
        assertThat(Errno.description(LibcH.EHWPOISON)).isEqualTo("Memory page has hardware error");
    }

    @Test
    void unknownValuesStillSaySomething() {
        assertThat(Errno.name(1234)).isEqualTo("errno 1234");
        assertThat(Errno.description(1234)).isEqualTo("Unknown error 1234");
        assertThat(Errno.name(0)).isEqualTo("errno 0");
    }

    @Test
    void exceptionMessageNamesCallErrnoAndMeaning() {
        NativeException e = new NativeException("open(/dev/kvm)", LibcH.EACCES);

        assertThat(e).hasMessage("open(/dev/kvm) failed: EACCES (Permission denied)");
        assertThat(e.errno()).isEqualTo(13);
        assertThat(e.errnoName()).isEqualTo("EACCES");
        assertThat(e.call()).isEqualTo("open(/dev/kvm)");
    }
}
