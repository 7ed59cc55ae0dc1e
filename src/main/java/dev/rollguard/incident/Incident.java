package dev.rollguard.incident;

import java.time.Instant;

/** An incident: one per cause, opened by an automatic rollback, a health breach, an alert, a break-glass release or a person. */
public record Incident(int id, String service, String env, String title, Severity severity, Status status, Source source,
                       String causeKey, String rolloutId, Integer fromVersion, Integer toVersion, String commander, String openedBy,
                       Instant openedAt, Instant detectedAt, Instant acknowledgedAt, Instant mitigatedAt, Instant recoveredAt,
                       Instant resolvedAt, Impact impact, java.util.Map<String, Object> analysis, Instant updatedAt) {
    public enum Status {
        OPEN, MITIGATED, RESOLVED;

        public String lower() { return name().toLowerCase(); }
    }

    public enum Source { ROLLBACK, BREAK_GLASS, HEALTH, ALERTMANAGER, MANUAL }

    public boolean active() {
        return status != Status.RESOLVED;
    }
}
