package dev.rollguard.rollout;

/** A rollout event as committed: the fact, and its line in the events table (id, time). */
public record PostedEvent(EventRecord line, RolloutEvent event) {}
