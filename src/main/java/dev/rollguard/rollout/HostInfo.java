package dev.rollguard.rollout;

import java.time.Instant;

/** A registered agent's host, as the server sees it. */
public record HostInfo(String service, String environment, String host, String labels, Instant registeredAt, Instant lastSeen,
                       Integer appliedVersion, Integer desiredVersion, Integer failedVersion, String applyError) {}
