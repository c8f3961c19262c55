package dev.jktstr.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

/** QMP lines are bounded while they are read, not after a peer's endless line is buffered. */
class QmpLineTest {

    @Test
    void linesEndAtNewlineAndDropCarriageReturn() throws IOException {
        Reader in = new StringReader("{\"QMP\": {}}\r\n{\"return\": {}}\nlast");
        assertThat(QmpClient.readLine(in, 64)).isEqualTo("{\"QMP\": {}}");
        assertThat(QmpClient.readLine(in, 64)).isEqualTo("{\"return\": {}}");
        assertThat(QmpClient.readLine(in, 64)).isEqualTo("last");
        assertThat(QmpClient.readLine(in, 64)).isNull();
    }

    /** An endless line from the peer: the read fails after max characters; no more is consumed or kept. */
    @Test
    void anEndlessLineFailsAtTheCapWhileReading() {
        long[] served = new long[1];
        Reader endless = new Reader() {
            @Override
            public int read(char[] buf, int off, int len) {
                java.util.Arrays.fill(buf, off, off + len, 'x');
                served[0] += len;
                return len;
            }

            @Override
            public void close() {
            }
        };
        assertThatThrownBy(() -> QmpClient.readLine(endless, 1 << 16)).isInstanceOf(IOException.class)
                .hasMessageContaining("too long");
        assertThat(served[0]).isEqualTo((1 << 16) + 1);
    }
}
