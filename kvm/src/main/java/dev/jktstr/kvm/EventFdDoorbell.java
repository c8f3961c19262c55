package dev.jktstr.kvm;

import dev.jktstr.nativeio.EventFd;
import dev.jktstr.virtio.Doorbell;

/** A {@link Doorbell} on an eventfd: the kernel rings it through the ioeventfd, the host by writing. */
record EventFdDoorbell(EventFd event) implements Doorbell {
    @Override
    public void await() {
        event.read();
    }

    @Override
    public void ring() {
        event.signal(1);
    }
}
