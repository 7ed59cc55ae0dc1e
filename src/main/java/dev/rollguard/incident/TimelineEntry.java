package dev.rollguard.incident;

import java.time.Instant;

/** One line of an incident's timeline: when, what, and who or what said so. */
public record TimelineEntry(String id, int incidentId, Instant at, String type, String source, String message, TimelineData data) {}
