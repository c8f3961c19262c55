package dev.jktstr.scenario;

/** A subject of claims that names itself (a cgroup by its name): labels become {@code cg_0.maxGapMs}. */
public interface Labeled {
    String label();
}
