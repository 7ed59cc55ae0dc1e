package dev.rollguard.rollout;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;

/** A registered agent's host, as the server sees it. The API has always called its env {@code environment}. */
public record HostInfo(String service, @JsonProperty("environment") String env, String host, String labels, Instant registeredAt, Instant lastSeen,
                       Integer appliedVersion, Integer desiredVersion, Integer failedVersion, String applyError) {}
