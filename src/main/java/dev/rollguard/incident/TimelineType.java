package dev.rollguard.incident;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What an incident's own timeline line is about. Stored and answered as {@link #wire()} (its name in lower case); a line
 * copied from a rollout carries that event's kind instead ({@code RolloutEvent.Kind#wire()}).
 */
public enum TimelineType {
    OPENED, UPDATED, NOTE, RESOLVED, ACTION_ITEM,
    VERSION_PUSHED, VALIDATION_FINDINGS,
    FIRST_5XX, HEALTH_BREACH, ROLLBACK_FINISHED, FIX_RELEASED, MITIGATED, TRAFFIC_RECOVERED_90, TRAFFIC_RECOVERED_100,
    ALERT_FIRING, ALERT_RESOLVED, ALERT_QUEUED, ALERT_SENT, ALERT_FAILED, ALERT_ACKNOWLEDGED;

    public String wire() { return name().toLowerCase(Locale.ROOT); }

    /** The incident's own line type of this name; empty for a line copied from a rollout (its type is the event's kind). */
    public static Optional<TimelineType> of(String wire) {
        return Arrays.stream(values()).filter(t -> t.wire().equals(wire)).findFirst();
    }
}
