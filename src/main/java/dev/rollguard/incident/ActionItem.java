package dev.rollguard.incident;

import java.time.Instant;

/** A corrective or preventive measure from a postmortem, tracked until done. */
public record ActionItem(int id, int incidentId, String title, String owner, String due, Status status, Instant createdAt,
                         Instant updatedAt, Instant doneAt) {
    public enum Status { OPEN, DONE, WONTFIX }
}
