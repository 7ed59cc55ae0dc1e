package dev.rollguard.incident;

import java.util.Locale;

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
}
