package dev.rollguard.incident;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.rollguard.rollout.EventData;

import java.util.Map;

/**
 * What an incident was opened on, as the incident keeps it: the SLO breach's numbers, the alert's labels, or the
 * automatic rollback's data. Stored in {@code incidents.analysis} and served as the API has always shown it, a flat
 * object without a type field: the incident's {@link Incident.Source} says which one a row holds (see
 * {@link #type(Incident.Source)}), so rows written before this type read back unchanged.
 */
public sealed interface IncidentAnalysis {
    /** The environment's in-service traffic over the SLO window that breached it (the breach's timeline line shows them too). */
    record SloBreach(long requests, long errors, double errorPercent, double sloPercent, int windowSeconds) implements IncidentAnalysis,
            TimelineData {}

    /**
     * The Alertmanager alert that opened the incident: its labels as Alertmanager sent them (each of its firing and
     * resolved lines shows them too).
     */
    record Alert(Map<String, String> labels) implements IncidentAnalysis, TimelineData {
        public Alert {
            labels = labels == null ? Map.of() : labels;
        }
    }

    /**
     * The automatic rollback's numbers for people, as the rollout's event holds them ({@link EventData}, written by the
     * rollout package from the typed event); what the incident decides on comes typed with the event (its cause).
     */
    record Rollback(@JsonValue EventData numbers) implements IncidentAnalysis {
        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        public Rollback {
            numbers = numbers == null ? EventData.NONE : numbers;
        }
    }

    /** Which variant an incident of this source holds: the source is set together with the analysis, always. */
    static Class<? extends IncidentAnalysis> type(Incident.Source source) {
        return switch (source) {
            case HEALTH -> SloBreach.class;
            case ALERTMANAGER -> Alert.class;
            // ROLLBACK (a break-glass review that became an outage is one too); the others keep none, and any document
            // found there is kept as it is rather than lost
            case ROLLBACK, BREAK_GLASS, MANUAL -> Rollback.class;
        };
    }
}
