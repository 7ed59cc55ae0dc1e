package dev.rollguard.rollout;

import dev.rollguard.health.Counts;

import java.time.Instant;

/**
 * What the server knows of one host during a rollout: the version it reports as applied, an apply
 * failure (and for which version), when it was last heard from, its request counts on its current
 * version since the wave started, and since when it serves the rollout's version (the start of its first
 * report on it; null when it reported no traffic on it).
 */
public record HostObservation(String host, Integer appliedVersion, Integer failedVersion, String applyError,
                              Instant lastSeen, Counts health, Instant servingSince) {

    public HostObservation(String host, Integer appliedVersion, Integer failedVersion, String applyError, Instant lastSeen, Counts health) {
        this(host, appliedVersion, failedVersion, applyError, lastSeen, health, null);
    }
}
