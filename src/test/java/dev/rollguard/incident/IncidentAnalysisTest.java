package dev.rollguard.incident;

import dev.rollguard.Json;
import dev.rollguard.config.Severity;
import dev.rollguard.rollout.EventData;
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
        assertThat(Json.write(new TimelineEntry("t1", 1, Instant.EPOCH, "health_breach", "health", "breach", breach)))
                .as("the timeline line keeps the same data").contains("\"data\":" + stored + "}");
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
        IncidentAnalysis.Rollback rollback = new IncidentAnalysis.Rollback(Json.read(stored, EventData.class));
        assertThat(Json.write(rollback)).as("no wrapper around the event's data").isEqualTo(stored);
        IncidentAnalysis read = Json.read(stored, IncidentAnalysis.type(Incident.Source.ROLLBACK));
        assertThat(read).isEqualTo(rollback);
        assertThat(Json.write(read)).isEqualTo(stored);
        assertThat(Json.write(new IncidentAnalysis.Rollback(null))).as("a rollback without numbers").isEqualTo("{}");
    }

    @Test
    void anIncidentServesItsAnalysisFlat() {
        Incident i = Incident.opened("wp", "production", "5xx", null, Incident.Source.HEALTH, "health:wp/production", "rollguard",
                Instant.EPOCH).withAnalysis(new IncidentAnalysis.SloBreach(10, 5, 50.0, 5.0, 60));
        assertThat(Json.write(i)).contains("\"analysis\":{\"requests\":10,\"errors\":5,\"errorPercent\":50.0,\"sloPercent\":5.0,\"windowSeconds\":60}");
    }

    @Test
    void aPostmortemTablesTheAnalysisUnderItsJsonNamesInOrder() {
        Incident breach = Incident.opened("wp", "production", "5xx", Severity.SEV3, Incident.Source.HEALTH, "health:wp/production", "rollguard",
                Instant.EPOCH).withAnalysis(new IncidentAnalysis.SloBreach(120, 30, 25.0, 5.0, 60));
        assertThat(postmortem(breach)).contains("|---|---|\n| requests | 120 |\n| errors | 30 |\n| errorPercent | 25.0 |\n| sloPercent | 5.0 |\n"
                + "| windowSeconds | 60 |\n\n");
        Incident rollback = breach.withSource(Incident.Source.ROLLBACK).withAnalysis(new IncidentAnalysis.Rollback(
                Json.read("{\"failedHost\":\"web-1\",\"hosts\":[\"web-1\",\"web-2\"],\"toVersion\":\"none\"}", EventData.class)));
        assertThat(postmortem(rollback)).contains("|---|---|\n| failedHost | web-1 |\n| hosts | [web-1, web-2] |\n| toVersion | none |\n\n");
        Incident alert = breach.withSource(Incident.Source.ALERTMANAGER).withAnalysis(new IncidentAnalysis.Alert(Map.of("alertname", "HighErrors")));
        assertThat(postmortem(alert)).contains("|---|---|\n| labels | {alertname=HighErrors} |\n\n");
        assertThat(postmortem(breach.withAnalysis(null))).doesNotContain("The analysis that stopped it");
    }

    private static String postmortem(Incident i) {
        return Postmortem.render(new Postmortem.Facts(i, List.of(), List.of(), null, null, null, Instant.EPOCH, null));
    }
}
