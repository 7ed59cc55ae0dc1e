package dev.rollguard.rollout;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;

/** One line of the timeline. The API has always called its env {@code environment}. */
public record EventRecord(String id, String service, @JsonProperty("environment") String env, String rolloutId, String type, String message,
                          EventData data, Instant at) {}
