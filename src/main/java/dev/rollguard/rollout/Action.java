package dev.rollguard.rollout;

import java.util.List;

/** What the orchestrator must do after a step: data, so every transition can be tested without I/O. */
public sealed interface Action {
    /** Point these hosts at a version (null: keep what they have). */
    record Assign(List<String> hosts, Integer version) implements Action {}

    /** The version may never be rolled out again. */
    record MarkBad(int version, String reason) implements Action {}

    /** The environment now runs this version. */
    record Released(int version) implements Action {}

    /** A fact for the timeline and for the parts that act on rollouts (incidents). */
    record Emit(RolloutEvent event) implements Action {}
}
