package dev.rollguard.rollout;

import dev.rollguard.health.Counts;

import java.time.Instant;

/**
 * What the server knows of one host during a rollout: the version it reports as applied, an apply
 * failure (and for which version), when it was last heard from, and its request counts on its current
 * version since the wave started.
 */
public record HostObservation(String host, Integer appliedVersion, Integer failedVersion, String applyError,
                              Instant lastSeen, Counts health) {}
