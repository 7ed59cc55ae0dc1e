package dev.rollguard.demo;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * How the bad version was stopped, from the rollback event's typed fields: {@code stage} PREFLIGHT, WATCHDOG or APPLY
 * when a host reported it (with the probe's answer for a preflight), null when the server's canary analysis decided.
 */
public record Caught(String host, String stage, String probePath, int probeStatus, int probeExpectedStatus, String probeBody,
                     long detectMillis) {
    static Caught of(JsonNode rollbackEvent, long detectMillis) {
        JsonNode d = rollbackEvent.path("data");
        return new Caught(d.path("failedHost").asText(null), d.path("failedStage").asText(null), d.path("probePath").asText(null),
                d.path("probeStatus").asInt(), d.path("probeExpectedStatus").asInt(), d.path("probeBody").asText(""), detectMillis);
    }

    public boolean inPreflight() { return "PREFLIGHT".equals(stage); }

    String describe() {
        if (stage == null) return "canary analysis on the server";
        return switch (stage) {
            case "PREFLIGHT" -> "preflight on " + host + ": GET " + probePath + " answered " + probeStatus + " (expected "
                    + probeExpectedStatus + ")" + (probeBody.isEmpty() ? ", empty body" : ", body: " + probeBody);
            case "WATCHDOG" -> "local watchdog on " + host + " (reverted itself)";
            default -> "apply failure on " + host;
        };
    }
}
