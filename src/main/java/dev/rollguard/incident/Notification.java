package dev.rollguard.incident;

import dev.rollguard.config.IncidentSettings;

import java.time.Instant;

/** One webhook in the outbox: where it goes, what it says, and how its delivery went so far. */
public record Notification(String id, int incidentId, String channel, IncidentSettings.Kind kind, PageAction action, String url,
                           String secret, String payload, Status status, int attempts, Instant nextAttemptAt, String lastError,
                           Instant createdAt, Instant sentAt) {
    /** Waiting for its (next) attempt, delivered, or given up on. */
    public enum Status { PENDING, SENT, FAILED }
}
