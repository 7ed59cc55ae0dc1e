package dev.rollguard.incident;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.rollguard.Json;
import dev.rollguard.rollout.EventData;

import java.util.Map;

/**
 * What a line of an incident's timeline shows besides its message. Stored in {@code incident_timeline.data} (NULL for
 * {@link #NONE}) and served as the API has always shown it, a flat object without a type field: the line's type says
 * which shape a row holds (see {@link #read}), so rows written before this type read back unchanged. An SLO breach's line
 * shows the breach's numbers and an alert's its labels, as the incident's analysis does.
 */
public sealed interface TimelineData permits TimelineData.None, TimelineData.Host, IncidentAnalysis.SloBreach, IncidentAnalysis.Alert,
        TimelineData.Channel, TimelineData.Delivered, TimelineData.Version, TimelineData.Findings, TimelineData.Copied {
    /** A line whose message says it all. */
    None NONE = new None();

    /** Nothing besides the message: served as {@code {}}, as the lines without data always were. */
    record None() implements TimelineData {
        @JsonValue
        Map<String, Object> json() {
            return Map.of();
        }
    }

    /** The host that served its first 5xx. */
    record Host(String host) implements TimelineData {}

    /** The channel a page was queued for, or whose delivery failed. */
    record Channel(String channel) implements TimelineData {}

    /** A page delivered: to which channel, what it said, at which attempt (from 1). */
    record Delivered(String channel, PageAction action, int attempts) implements TimelineData {}

    /** The version pushed. */
    record Version(int version) implements TimelineData {}

    /** How many errors and warnings the validators found in the version. */
    record Findings(long errors, long warnings) implements TimelineData {}

    /**
     * A rollout event's data, copied with its line as the rollout's events table holds it; and any document stored under
     * a type that names no other shape, kept as it is rather than lost.
     */
    record Copied(@JsonValue EventData data) implements TimelineData {
        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        public Copied {
            data = data == null ? EventData.NONE : data;
        }
    }

    /** The data of a stored line of type {@code type} ({@code json} null: none). */
    static TimelineData read(String type, String json) {
        if (json == null) return NONE;
        // no incident type of this name: a rollout event's line (its type is the event's kind)
        Class<? extends TimelineData> shape = TimelineType.of(type).<Class<? extends TimelineData>>map(TimelineData::shape).orElse(Copied.class);
        try {
            return Json.read(json, shape);
        } catch (RuntimeException e) {
            return Json.read(json, Copied.class);
        }
    }

    /** The shape an incident's own line of this type carries ({@link Copied} for a type that never carried data, should a row hold some). */
    private static Class<? extends TimelineData> shape(TimelineType type) {
        return switch (type) {
            case FIRST_5XX -> Host.class;
            case HEALTH_BREACH -> IncidentAnalysis.SloBreach.class;
            case ALERT_FIRING, ALERT_RESOLVED -> IncidentAnalysis.Alert.class;
            case ALERT_QUEUED, ALERT_FAILED -> Channel.class;
            case ALERT_SENT -> Delivered.class;
            case VERSION_PUSHED -> Version.class;
            case VALIDATION_FINDINGS -> Findings.class;
            case OPENED, UPDATED, NOTE, RESOLVED, ACTION_ITEM, ROLLBACK_FINISHED, FIX_RELEASED, MITIGATED, TRAFFIC_RECOVERED_90,
                 TRAFFIC_RECOVERED_100, ALERT_ACKNOWLEDGED -> Copied.class;
        };
    }
}
