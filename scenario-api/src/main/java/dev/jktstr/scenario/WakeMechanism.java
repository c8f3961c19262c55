package dev.jktstr.scenario;

/** How a {@link WorkType#wakeChain} passes its token from one worker to the next. */
public enum WakeMechanism {
    /** An 8-byte write into the next worker's pipe (it sleeps in poll). */
    PIPE,
    /** The next worker's futex word set and FUTEX_WAKE (it sleeps in FUTEX_WAIT). */
    FUTEX
}
