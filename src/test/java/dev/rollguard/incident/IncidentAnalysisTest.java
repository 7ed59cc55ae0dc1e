package dev.rollguard.incident;

import dev.rollguard.Json;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an incident keeps as its analysis, as {@code incidents.analysis} stores it and the API serves it: the typed
 * variants write the flat objects the untyped maps wrote, and rows written by the maps read back by the incident's source.
 */
class IncidentAnalysisTest {
    @Test
    void anSloBreachWritesAndReadsTheNumbersItAlwaysHad() {
        // as IncidentMachine.healthBreach wrote them before the type: a LinkedHashMap in this order
        Map<String, Object> before = new LinkedHashMap<>();
        before.put("requests", 120L);
        before.put("errors", 30L);
        before.put("errorPercent", 25.0);
        before.put("sloPercent", 5.0);
        before.put("windowSeconds", 60);
        String stored = Json.write(before);
        assertThat(stored).isEqualTo("{\"requests\":120,\"errors\":30,\"errorPercent\":25.0,\"sloPercent\":5.0,\"windowSeconds\":60}");

        IncidentAnalysis.SloBreach breach = new IncidentAnalysis.SloBreach(120, 30, 25.0, 5.0, 60);
        assertThat(Json.write(breach)).isEqualTo(stored);
        assertThat(Json.write(breach.lineData())).as("the timeline line keeps the same data").isEqualTo(stored);
        assertThat(Json.read(stored, IncidentAnalysis.type(Incident.Source.HEALTH))).isEqualTo(breach);
    }

    @Test
    void anAlertKeepsItsLabelsUnderLabels() {
        String stored = Json.write(Map.of("labels", Map.of("alertname", "HighErrors")));
        assertThat(stored).isEqualTo("{\"labels\":{\"alertname\":\"HighErrors\"}}");
        IncidentAnalysis.Alert alert = new IncidentAnalysis.Alert(Map.of("alertname", "HighErrors"));
        assertThat(Json.write(alert)).isEqualTo(stored);
        assertThat(Json.read(stored, IncidentAnalysis.type(Incident.Source.ALERTMANAGER))).isEqualTo(alert);
    }

    @Test
    void aRollbackKeepsTheRolloutEventsDataAsItIs() {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("failedHost", "web-1");
        data.put("failedStage", "PREFLIGHT");
        data.put("hosts", List.of("web-1", "web-2"));
        data.put("toVersion", "none");
        String stored = Json.write(data);
        IncidentAnalysis.Rollback rollback = new IncidentAnalysis.Rollback(data);
        assertThat(Json.write(rollback)).as("no wrapper around the event's data").isEqualTo(stored);
        IncidentAnalysis read = Json.read(stored, IncidentAnalysis.type(Incident.Source.ROLLBACK));
        assertThat(read).isEqualTo(rollback);
        assertThat(Json.write(read)).isEqualTo(stored);
    }

    @Test
    void anIncidentServesItsAnalysisFlat() {
        Incident i = Incident.opened("wp", "production", "5xx", null, Incident.Source.HEALTH, "health:wp/production", "rollguard",
                Instant.EPOCH).withAnalysis(new IncidentAnalysis.SloBreach(10, 5, 50.0, 5.0, 60));
        assertThat(Json.write(i)).contains("\"analysis\":{\"requests\":10,\"errors\":5,\"errorPercent\":50.0,\"sloPercent\":5.0,\"windowSeconds\":60}");
    }
}
