package dev.rollguard.incident;

import dev.rollguard.rollout.EventRecord;
import dev.rollguard.rollout.RolloutEvent;

/** Why a rollout opens an incident on its own, as the rollout's typed event said it (with the event as stored). */
public sealed interface RolloutCause {
    EventRecord line();

    /** The orchestrator rolled the version back: an outage, paged. */
    record AutomaticRollback(EventRecord line, RolloutEvent.RollbackStarted rollback) implements RolloutCause {}

    /** A person released around the promotion policy: a review, announced but not paged. */
    record BreakGlassRelease(EventRecord line, RolloutEvent.Started started) implements RolloutCause {}
}
