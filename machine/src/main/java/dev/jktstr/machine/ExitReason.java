package dev.jktstr.machine;

/** Why a guest stopped running. */
public enum ExitReason {
    /** The guest powered itself off (ACPI poweroff, {@code poweroff -f}). */
    POWEROFF,
    /** The guest asked for a reboot; machines never reboot, they stop. */
    REBOOT,
    /** The guest kernel panicked. */
    PANIC,
    /** The CPU reset without the kernel asking for it: a triple fault. */
    TRIPLE_FAULT,
    /** {@link Machine#awaitExit} gave up; the guest still runs. */
    TIMEOUT,
    /** The VMM died (killed, crashed) without a guest-initiated reason. */
    CRASHED,
    /** The host closed the machine. */
    CLOSED
}
