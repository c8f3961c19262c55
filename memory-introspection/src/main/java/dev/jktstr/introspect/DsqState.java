package dev.jktstr.introspect;

/**
 * One sched_ext dispatch queue.
 *
 * @param kind {@code local} (one per CPU, {@code owner} is the CPU), {@code global} (one per NUMA node,
 *     {@code owner} is the node) or {@code user} (created by the BPF scheduler, {@code owner} -1)
 * @param id the DSQ id (SCX_DSQ_LOCAL, SCX_DSQ_GLOBAL or the user's id)
 * @param depth {@code nr}: tasks queued
 */
public record DsqState(String kind, int owner, long id, long depth, long seq) {}
