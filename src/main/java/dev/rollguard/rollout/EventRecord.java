package dev.rollguard.rollout;

import java.time.Instant;
import java.util.Map;

/** One line of the timeline. */
public record EventRecord(String id, String service, String environment, String rolloutId, String type, String message,
                          Map<String, Object> data, Instant at) {}
