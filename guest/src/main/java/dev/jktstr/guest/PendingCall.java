package dev.jktstr.guest;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * One request in flight on an {@link AgentChannel}: its id, what it is (for messages), the future its final frame
 * completes, and for a READ_FILE the DATA received so far, up to the call's cap.
 */
final class PendingCall {
    final int id;
    final String what;
    final CompletableFuture<Frame> done = new CompletableFuture<>();
    final ByteArrayOutputStream data; // DATA chunks of a READ_FILE, else null
    final long maxBytes; // the most DATA the call accepts
    /** POWER_OFF: the channel ending (or failing to write) answers it. */
    final boolean endOfStreamIsSuccess;

    PendingCall(int id, String what, long maxBytes, boolean collectsData, boolean endOfStreamIsSuccess) {
        this.id = id;
        this.what = what;
        this.data = collectsData ? new ByteArrayOutputStream() : null;
        this.maxBytes = collectsData ? maxBytes : 0;
        this.endOfStreamIsSuccess = endOfStreamIsSuccess;
    }

    /** Answered, failed or timed out: a write in progress for it stops after the frame in flight. */
    boolean isDone() {
        return done.isDone();
    }

    /** The DATA received (READ_FILE calls only). */
    synchronized byte[] data() {
        return data.toByteArray();
    }

    /** The OK frame a call whose end of stream is success gets when the channel ends. */
    Frame endOfStreamAnswer() {
        return new Frame(id, Protocol.OK, new byte[0]);
    }
}
