package dev.jktstr.scenario;

/**
 * A scheduling class a work type puts one of its roles in ({@link WorkType#asymmetricWaker}); FIFO and RR run at
 * real-time priority 1. The ordinal is the guest's number for it (work_chain.c's set_sched_class).
 */
public enum SchedClass {
    NORMAL, BATCH, IDLE, FIFO, RR
}
