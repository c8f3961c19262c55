package dev.jktstr.machine;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * A byte stream to and from a guest virtio console port (or the serial console). Reading and
 * writing may happen on different threads at once. The streams end when the machine closes.
 */
public record GuestPort(String name, InputStream in, OutputStream out) {
}
