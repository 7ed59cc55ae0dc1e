package dev.rollguard.incident;

import dev.rollguard.Json;
import dev.rollguard.config.Severity;
import dev.rollguard.rollout.EventData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an incident's timeline lines show besides their message, as {@code incident_timeline.data} stores it and the API
 * serves it: each typed shape writes the bytes the untyped map wrote (the maps are spelled out here as the code wrote
 * them), and rows written by the maps read back by their line's type.
 */
class TimelineDataTest {
    @TempDir
    Path dir;

    /** A map as the code built it: a LinkedHashMap, in this order. */
    private static Map<String, Object> linked(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int k = 0; k < keysAndValues.length; k += 2) m.put((String) keysAndValues[k], keysAndValues[k + 1]);
        return m;
    }

    private static EventData eventData(String stored) {
        return Json.read(stored, EventData.class);
    }

    /** Each line type, the data its map held, and its shape now. */
    private static final List<Object[]> SHAPES = List.of(
            new Object[]{"first_5xx", Map.of("host", "web-1"), new TimelineData.Host("web-1")},
            new Object[]{"health_breach", linked("requests", 120L, "errors", 30L, "errorPercent", 25.0, "sloPercent", 5.0, "windowSeconds", 60),
                    new IncidentAnalysis.SloBreach(120, 30, 25.0, 5.0, 60)},
            new Object[]{"alert_firing", Map.of("labels", Map.of("alertname", "HighErrors")), new IncidentAnalysis.Alert(Map.of("alertname", "HighErrors"))},
            new Object[]{"alert_resolved", Map.of("labels", Map.of("alertname", "HighErrors")), new IncidentAnalysis.Alert(Map.of("alertname", "HighErrors"))},
            new Object[]{"alert_queued", Map.of("channel", "chat"), new TimelineData.Channel("chat")},
            new Object[]{"alert_failed", Map.of("channel", "chat"), new TimelineData.Channel("chat")},
            new Object[]{"alert_sent", linked("channel", "chat", "action", "trigger", "attempts", 2), new TimelineData.Delivered("chat", PageAction.TRIGGER, 2)},
            new Object[]{"version_pushed", Map.of("version", 7), new TimelineData.Version(7)},
            new Object[]{"validation_findings", linked("errors", 2L, "warnings", 1L), new TimelineData.Findings(2, 1)},
            new Object[]{"rollback_started", linked("failedHost", "web-1", "failedStage", "PREFLIGHT", "hosts", List.of("web-1"), "toVersion", "none"),
                    new TimelineData.Copied(eventData("{\"failedHost\":\"web-1\",\"failedStage\":\"PREFLIGHT\",\"hosts\":[\"web-1\"],\"toVersion\":\"none\"}"))},
            new Object[]{"wave_started", linked("wave", 1, "hosts", List.of("web-1")), new TimelineData.Copied(eventData("{\"wave\":1,\"hosts\":[\"web-1\"]}"))});

    @Test
    void eachShapeWritesWhatItsMapWroteAndReadsItBack() {
        for (Object[] s : SHAPES) {
            String type = (String) s[0];
            String stored = Json.write(s[1]);
            TimelineData typed = (TimelineData) s[2];
            assertThat(Json.write(typed)).as(type).isEqualTo(stored);
            assertThat(TimelineData.read(type, stored)).as(type).isEqualTo(typed);
        }
    }

    @Test
    void theMapsOfSeveralKeysWroteThemInAnyOrderAndReadBackAlike() {
        // Map.of with more than one entry iterates in an order of its own, which changes between JVM runs: rows hold either
        assertThat(TimelineData.read("validation_findings", "{\"warnings\":1,\"errors\":2}")).isEqualTo(new TimelineData.Findings(2, 1));
        assertThat(TimelineData.read("alert_sent", "{\"attempts\":3,\"action\":\"resolve\",\"channel\":\"pd\"}"))
                .isEqualTo(new TimelineData.Delivered("pd", PageAction.RESOLVE, 3));
    }

    @Test
    void aLineWithoutDataIsServedAsAnEmptyObject() {
        assertThat(TimelineData.read("note", null)).isEqualTo(TimelineData.NONE);
        assertThat(TimelineData.read("rollout_complete", null)).isEqualTo(TimelineData.NONE);
        assertThat(Json.write(new TimelineEntry("t1", 7, Instant.EPOCH, "note", "bob", "looking", TimelineData.NONE))).isEqualTo(
                "{\"id\":\"t1\",\"incidentId\":7,\"at\":\"1970-01-01T00:00:00Z\",\"type\":\"note\",\"source\":\"bob\",\"message\":\"looking\",\"data\":{}}");
    }

    @Test
    void aDocumentItsTypeNamesNoShapeForIsKeptAsItIs() {
        assertKeptWhole("opened", "{\"why\":\"an older server\",\"n\":[1,2]}");
    }

    @Test
    void aDocumentOfAnotherShapeThanItsTypesIsKeptWholeNotReadAsThatShape() {
        // first_5xx lines carry a host; one carrying something else must not be served as {"host":null}
        assertKeptWhole("first_5xx", "{\"server\":\"web-2\",\"status\":503}");
        assertThat(Json.write(TimelineData.read("first_5xx", "{\"host\":\"web-1\"}"))).isEqualTo("{\"host\":\"web-1\"}");
    }

    /** A document read under {@code type} is kept as it is and served byte for byte. */
    private static void assertKeptWhole(String type, String json) {
        TimelineData kept = TimelineData.read(type, json);
        assertThat(kept).isInstanceOf(TimelineData.Copied.class);
        assertThat(Json.write(kept)).isEqualTo(json);
    }

    @Test
    void theStoreKeepsEachShapeAndNullForNone() {
        try (IncidentWorld w = new IncidentWorld(dir)) {
            Instant now = w.rollouts.clock.instant();
            int id = w.rollouts.db.inTransaction(tx -> w.store.insert(tx, Incident.opened("wp", "production", "down", Severity.SEV2,
                    Incident.Source.MANUAL, "manual:1", "alice", now)));
            w.rollouts.db.useTransaction(tx -> {
                w.store.addTimeline(tx, id, now, "note", "alice", "no data", TimelineData.NONE, "none");
                for (Object[] s : SHAPES) w.store.addTimeline(tx, id, now, (String) s[0], "test", "a line", (TimelineData) s[2], (String) s[0]);
            });
            List<TimelineEntry> lines = w.store.timeline(id);
            assertThat(lines).extracting(TimelineEntry::data)
                    .containsExactlyElementsOf(Stream.concat(Stream.of((TimelineData) TimelineData.NONE),
                            SHAPES.stream().map(s -> (TimelineData) s[2])).toList());
            for (int k = 0; k < SHAPES.size(); k++) {
                assertThat(Json.write(lines.get(k + 1).data())).as((String) SHAPES.get(k)[0]).isEqualTo(Json.write(SHAPES.get(k)[1]));
            }
        }
    }
}
