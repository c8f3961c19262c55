package dev.jktstr.virtio;

/** Raises the device's interrupt line (kvm: an irqfd eventfd signal, edge). Must not block. */
@FunctionalInterface
public interface Interrupt {

    void raise();
}
