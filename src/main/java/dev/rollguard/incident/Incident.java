package dev.rollguard.incident;

import dev.rollguard.config.Severity;
import dev.rollguard.rollout.RolloutEvent;

import java.time.Instant;

/** An incident: one per cause, opened by an automatic rollback, a health breach, an alert, a break-glass release or a person. */
public record Incident(int id, String service, String env, String title, Severity severity, Status status, Source source,
                       String causeKey, String rolloutId, Integer fromVersion, Integer toVersion, String commander, String openedBy,
                       Instant openedAt, Instant detectedAt, Instant acknowledgedAt, Instant mitigatedAt, Instant recoveredAt,
                       Instant resolvedAt, Impact impact, IncidentAnalysis analysis, RolloutEvent.HostFailed caught,
                       Instant updatedAt) {
    public enum Status {
        OPEN, MITIGATED, RESOLVED;

        public String lower() { return name().toLowerCase(); }
    }

    public enum Source { ROLLBACK, BREAK_GLASS, HEALTH, ALERTMANAGER, MANUAL }

    /** A new open incident, not stored yet (id 0), detected when it was opened. */
    public static Incident opened(String service, String env, String title, Severity severity, Source source, String causeKey,
                                  String openedBy, Instant now) {
        return new Incident(0, service, env, title, severity, Status.OPEN, source, causeKey, null, null, null, null, openedBy, now, now,
                null, null, null, null, null, null, null, now);
    }

    public boolean active() {
        return status != Status.RESOLVED;
    }

    public Incident withId(int id) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withTitle(String title) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withSeverity(Severity severity) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withStatus(Status status) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withSource(Source source) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    /** The rollout this incident is about, and the versions it went from and to. */
    public Incident withRollout(String rolloutId, Integer fromVersion, Integer toVersion) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withCommander(String commander) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withOpenedAt(Instant openedAt) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withDetectedAt(Instant detectedAt) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withAcknowledgedAt(Instant acknowledgedAt) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withMitigatedAt(Instant mitigatedAt) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withRecoveredAt(Instant recoveredAt) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withResolvedAt(Instant resolvedAt) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withImpact(Impact impact) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    /** Where a host stopped the version, when a host's report (not the analysis) rolled it back. */
    public Incident withCaught(RolloutEvent.HostFailed caught) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withAnalysis(IncidentAnalysis analysis) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }

    public Incident withUpdatedAt(Instant updatedAt) {
        return new Incident(id, service, env, title, severity, status, source, causeKey, rolloutId, fromVersion, toVersion, commander,
                openedBy, openedAt, detectedAt, acknowledgedAt, mitigatedAt, recoveredAt, resolvedAt, impact, analysis, caught, updatedAt);
    }
}
