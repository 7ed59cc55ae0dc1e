package dev.rollguard.incident;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.sim.Fleet;
import dev.rollguard.sim.WordPressLikeTree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The seed's bad config on a simulated fleet: the incident opens, pages, follows the recovery and drafts the postmortem. */
class IncidentEndToEndTest {
    private static final int RPS_PER_HOST = 40;
    /**
     * A host's report window (one second) is told with the version applied when it is sent: the window in which the canary
     * switches back holds failures of the bad tree reported under the good version, at most a second of its requests.
     */
    private static final long ONE_WINDOW = RPS_PER_HOST;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

    private final List<AutoCloseable> open = new ArrayList<>();
    private TestServer ts;
    private Path fleetDir;

    @AfterEach
    void cleanUp() throws Exception {
        for (int k = open.size() - 1; k >= 0; k--) open.get(k).close();
        if (ts != null) ts.close();
        if (fleetDir != null) TreeLoader.deleteRecursively(fleetDir);
    }

    private static String spec(WebhookReceiver rx) {
        return "{\"environments\": [\"testing\", \"production\"], \"rollout\": {\"promotionBakeSeconds\": 0, \"waves\": ["
                + "{\"hosts\": 1, \"bakeSeconds\": 2}, {\"percent\": 100, \"bakeSeconds\": 1}]},"
                + " \"incidents\": {\"channels\": ["
                + "{\"name\": \"oncall\", \"kind\": \"pagerduty\", \"url\": \"" + rx.url("/pd") + "\", \"routingKey\": \"rk-123\", \"secret\": \"s3cret\"},"
                + "{\"name\": \"team\", \"kind\": \"slack\", \"url\": \"" + rx.url("/slack") + "\"},"
                + "{\"name\": \"reviews\", \"kind\": \"generic\", \"url\": \"" + rx.url("/generic") + "\", \"minSeverity\": \"SEV4\"}]}}";
    }

    @Test
    void badVersionOpensOneIncidentPagesAndDraftsThePostmortem() throws Exception {
        // the receiver is down for the first two deliveries: the page still arrives, the rollback does not wait for it
        WebhookReceiver rx = new WebhookReceiver(0, 2);
        open.add(rx);
        ts = new TestServer();
        TestServer.Response put = ts.send("PUT", "/api/v1/services/wp", spec(rx));
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        assertThat(ts.get("/api/v1/services/wp").path("spec").path("incidents").path("channels").get(0).path("routingKey").asText())
                .as("secrets are masked").isEqualTo("********");

        fleetDir = TestServer.tempDir();
        Fleet fleet = ts.startFleet(5, fleetDir);
        open.add(fleet);
        fleet.load(RPS_PER_HOST, true);

        Map<String, String> good = WordPressLikeTree.generate(80, 1);
        int v1 = ts.push(good, "initial", null);
        ts.release("testing", v1, null);
        assertThat(ts.awaitTerminal(ts.release("production", v1, null).path("id").asText()).path("state").asText()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v1) == 5);

        int v2 = ts.push(WordPressLikeTree.withTypo(good), "speed up settings", "hotfix, no time for testing");
        JsonNode bad = ts.awaitTerminal(ts.release("production", v2, "it's urgent").path("id").asText());
        assertThat(bad.path("state").asText()).isEqualTo("ROLLED_BACK");
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v1) == 5);

        // one incident for the cause: the break-glass review became the outage
        JsonNode list = ts.get("/api/v1/incidents?service=wp");
        assertThat(list).hasSize(1);
        int id = list.get(0).path("id").asInt();
        await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(200)).until(() ->
                !ts.get("/api/v1/incidents/" + id).path("incident").path("recoveredAt").isNull());

        // impact agrees with what the simulated hosts themselves served
        long simulatedFailures = fleet.members().stream().mapToLong(m -> m.host().counts().getOrDefault(v2, new long[2])[1]).sum();
        assertThat(simulatedFailures).isPositive();
        // around each switch a failure of one tree can be reported with the other version (the host counts per tree, the
        // agent per applied version): the impact may hold those of the canary's failures its host counted under v1, and may
        // miss those of the one report window that straddles the canary's switch back (at most a second of its requests)
        long aroundSwitches = aroundSwitches(fleet, v2, v1);
        await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            JsonNode impact = ts.get("/api/v1/incidents/" + id).path("incident").path("impact");
            assertThat(impact.path("requestsFailed").asLong())
                    .isBetween(simulatedFailures - ONE_WINDOW, simulatedFailures + aroundSwitches);
            // the worst second counts once every host has reported past it
            assertThat(impact.path("peakPercent").asDouble()).isBetween(1.0, 100.0);
        });
        JsonNode view = ts.get("/api/v1/incidents/" + id);
        JsonNode inc = view.path("incident");
        JsonNode impact = inc.path("impact");
        assertThat(inc.path("source").asText()).isEqualTo("ROLLBACK");
        assertThat(inc.path("status").asText()).isEqualTo("MITIGATED");
        assertThat(inc.path("toVersion").asInt()).isEqualTo(v2);
        assertThat(impact.path("hostsAffected").asInt()).isEqualTo(1);
        assertThat(impact.path("hostsTotal").asInt()).isEqualTo(5);
        assertThat(impact.path("peakPercent").asDouble()).isBetween(1.0, 100.0);
        Instant firstError = Instant.parse(impact.path("firstErrorAt").asText());
        Instant simulatedFirst = fleet.members().stream().map(m -> m.host().firstErrorAt(v2)).filter(Objects::nonNull)
                .min(Instant::compareTo).orElseThrow();
        assertThat(Duration.between(simulatedFirst, firstError).abs()).isLessThan(Duration.ofMillis(50));
        long ttd = impact.path("timeToDetectMillis").asLong();
        long ttm = impact.path("timeToMitigateMillis").asLong();
        long ttr = impact.path("timeToRecoverMillis").asLong();
        assertThat(ttd).isLessThanOrEqualTo(ttm);
        assertThat(ttm).isLessThanOrEqualTo(ttr);
        assertThat(ttr).isLessThan(TestServer.PATIENCE.toMillis());

        List<String> types = view.path("timeline").findValuesAsText("type");
        assertThat(types).contains("version_pushed", "validation_findings", "rollout_started", "wave_started", "first_5xx", "analysis",
                "rollback_started", "alert_queued", "alert_failed", "alert_sent", "rollback_finished", "traffic_recovered_90",
                "traffic_recovered_100");
        assertThat(types.indexOf("rollback_started")).isLessThan(types.indexOf("rollback_finished"));

        // paged in PagerDuty's format, signed, after the receiver's outage
        await().atMost(TestServer.PATIENCE).until(() -> !rx.at("/pd").isEmpty());
        WebhookReceiver.Received trigger = rx.at("/pd").get(0);
        JsonNode pd = Json.MAPPER.readTree(trigger.body());
        assertThat(pd.path("event_action").asText()).isEqualTo("trigger");
        assertThat(pd.path("routing_key").asText()).isEqualTo("rk-123");
        assertThat(pd.path("dedup_key").asText()).isEqualTo("rollguard-incident-" + id);
        assertThat(pd.path("payload").path("severity").asText()).isIn("warning", "error", "critical");
        assertThat(pd.path("payload").path("summary").asText()).contains("wp/production").contains("v" + v2);
        assertThat(Webhooks.verify("s3cret", trigger.signature(), trigger.body(), Instant.now().getEpochSecond(), 300)).isTrue();
        assertThat(Webhooks.verify("wrong", trigger.signature(), trigger.body(), Instant.now().getEpochSecond(), 300)).isFalse();
        assertThat(rx.refused.get()).isEqualTo(2);
        // the break-glass release was announced on the chat and generic channels before the rollback; the pager only got the outage
        await().atMost(TestServer.PATIENCE).until(() -> !rx.at("/slack").isEmpty() && !rx.at("/generic").isEmpty());
        assertThat(Json.MAPPER.readTree(rx.at("/generic").get(0).body()).path("incident").path("source").asText()).isEqualTo("break_glass");
        assertThat(rx.at("/slack").get(0).body()).contains("Break-glass release");

        // people: note, action item, resolve -> PagerDuty resolve with the same key
        assertThat(ts.send("POST", "/api/v1/incidents/" + id + "/notes", "{\"text\": \"customers saw errors on one host\"}").status())
                .isEqualTo(201);
        assertThat(ts.send("POST", "/api/v1/incidents/" + id + "/actions",
                "{\"title\": \"Never break glass for a typo fix\", \"owner\": \"alice\", \"due\": \"2026-12-31\"}").status()).isEqualTo(201);
        assertThat(ts.send("POST", "/api/v1/incidents/" + id + "/actions", "{\"title\": \"x\", \"due\": \"next week\"}").status())
                .isEqualTo(400);
        assertThat(ts.send("POST", "/api/v1/incidents/" + id + "/resolve", "{\"text\": \"fixed in v3\"}").status()).isEqualTo(200);
        await().atMost(TestServer.PATIENCE).until(() -> rx.at("/pd").stream().anyMatch(r -> r.body().contains("\"resolve\"")));
        JsonNode resolve = Json.MAPPER.readTree(rx.at("/pd").stream().filter(r -> r.body().contains("\"resolve\"")).findFirst()
                .orElseThrow().body());
        assertThat(resolve.path("dedup_key").asText()).isEqualTo(pd.path("dedup_key").asText());
        assertThat(rx.at("/pd").indexOf(trigger)).isZero();

        // the postmortem: the seed's structure, the facts, the exact times of the timeline
        String md = ts.send("GET", "/api/v1/incidents/" + id + "/postmortem", null).body();
        assertThat(md).contains("## Summary", "## Timeline", "## Root cause & resolution", "## Corrective & preventive measures",
                Postmortem.TO_WRITE, "```diff", ".phpp", "Never break glass for a typo fix", "alice", "it's urgent");
        for (JsonNode t : ts.get("/api/v1/incidents/" + id).path("timeline")) {
            assertThat(md).contains("**" + TIME.format(Instant.parse(t.path("at").asText())) + "**");
        }
        assertThat(md).contains(String.valueOf(simulatedFailures));
        assertThat(ts.get("/api/v1/incidents/" + id).path("incident").path("status").asText()).isEqualTo("RESOLVED");
    }

    /**
     * The tour before it released a good version first: every host fails every request (no config yet), the first release
     * is the typo and fails at the canary, and a rollback has nothing to go back to. The incident counts only what the
     * release caused, and the fixed version's release, once complete, mitigates it.
     */
    @Test
    void failuresFromBeforeTheReleaseAreNotItsAndTheFixedReleaseMitigates() throws Exception {
        ts = new TestServer();
        TestServer.Response put = ts.send("PUT", "/api/v1/services/wp", "{\"environments\": [\"testing\", \"production\"], \"rollout\": "
                + "{\"promotionBakeSeconds\": 0, \"waves\": [{\"hosts\": 1, \"bakeSeconds\": 2}, {\"percent\": 100, \"bakeSeconds\": 1}]}}");
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        fleetDir = TestServer.tempDir();
        Fleet fleet = ts.startFleet(5, fleetDir);
        open.add(fleet);
        fleet.load(RPS_PER_HOST, true);
        // a few seconds of every host failing: the baseline the release is judged against
        await().atMost(TestServer.PATIENCE).until(() -> fleet.loadGenerator().failed() > 200);

        Map<String, String> good = WordPressLikeTree.generate(80, 1);
        int v1 = ts.push(WordPressLikeTree.withTypo(good), "first config, with the typo", "urgent");
        JsonNode bad = ts.awaitTerminal(ts.release("production", v1, "urgent").path("id").asText());
        assertThat(bad.path("state").asText()).isEqualTo("ROLLED_BACK");
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/incidents?service=wp").size() == 1);
        int id = ts.get("/api/v1/incidents?service=wp").get(0).path("id").asInt();
        assertThat(ts.get("/api/v1/incidents/" + id).path("incident").path("status").asText())
                .as("nothing to roll back to: the canary still serves the typo").isEqualTo("OPEN");

        int v2 = ts.push(good, "the fix", null);
        ts.release("testing", v2, null);
        assertThat(ts.awaitTerminal(ts.release("production", v2, null).path("id").asText()).path("state").asText()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(200)).until(() ->
                !ts.get("/api/v1/incidents/" + id).path("incident").path("recoveredAt").isNull());
        JsonNode view = ts.get("/api/v1/incidents/" + id);
        assertThat(view.path("incident").path("status").asText()).isEqualTo("MITIGATED");
        assertThat(view.path("timeline").findValuesAsText("type")).contains("fix_released");

        long causedFailures = fleet.members().stream().mapToLong(m -> m.host().counts().getOrDefault(v1, new long[2])[1]).sum();
        assertThat(causedFailures).isPositive();
        Instant firstOnV1 = fleet.members().stream().map(m -> m.host().firstErrorAt(v1)).filter(Objects::nonNull)
                .min(Instant::compareTo).orElseThrow();
        await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            JsonNode impact = ts.get("/api/v1/incidents/" + id).path("incident").path("impact");
            assertThat(impact.path("requestsFailed").asLong()).as("only the failures on v" + v1)
                    .isBetween(causedFailures - ONE_WINDOW, causedFailures + aroundSwitches(fleet, v1, v2));
            assertThat(impact.path("hostsAffected").asInt()).isEqualTo(1);
            assertThat(Duration.between(firstOnV1, Instant.parse(impact.path("firstErrorAt").asText())).abs())
                    .as("detection is timed from the first failure on v" + v1).isLessThan(Duration.ofMillis(50));
            assertThat(impact.path("timeToMitigateMillis").asLong()).isPositive();
        });
    }

    /** Failures the hosts that failed on {@code bad} counted under {@code other}: the most a switch can move to a report of it. */
    private static long aroundSwitches(Fleet fleet, int bad, int other) {
        return fleet.members().stream().filter(m -> m.host().counts().getOrDefault(bad, new long[2])[1] > 0)
                .mapToLong(m -> m.host().counts().getOrDefault(other, new long[2])[1]).sum();
    }
}
