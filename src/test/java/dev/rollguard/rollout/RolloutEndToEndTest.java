package dev.rollguard.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.TestServer;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.sim.Fleet;
import dev.rollguard.sim.WordPressLikeTree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Real server, real agents over HTTP, simulated hosts under HTTP load: the rollout loop end to end. */
class RolloutEndToEndTest {
    // Latency on a busy machine is the machine's (a canary's p99 of 62 ms against 2 ms was seen right after a server
    // restart): these tests are about waves, restarts and 5xx, so the latency check gets a second of slack.
    private static final String SPEC = "{\"environments\": [\"testing\", \"production\"], \"rollout\": {\"promotionBakeSeconds\": 0, "
            + "\"analysis\": {\"latencySlackMillis\": 1000}, "
            + "\"waves\": [{\"hosts\": 1, \"bakeSeconds\": 2}, {\"percent\": 50, \"bakeSeconds\": 1}, {\"percent\": 100, \"bakeSeconds\": 1}]}}";

    private TestServer ts;
    private Fleet fleet;
    private Path fleetDir;

    @AfterEach
    void cleanUp() {
        if (fleet != null) fleet.close();
        if (ts != null) ts.close();
        if (fleetDir != null) TreeLoader.deleteRecursively(fleetDir);
    }

    static JsonNode json(TestServer.Response r) {
        return TestServer.json(r);
    }

    static int push(TestServer ts, Map<String, String> files, String message, String breakGlass) {
        return ts.push(files, message, breakGlass);
    }

    static JsonNode release(TestServer ts, String env, int version, String breakGlass) {
        return ts.release(env, version, breakGlass);
    }

    static JsonNode awaitTerminal(TestServer ts, String id) {
        return ts.awaitTerminal(id);
    }

    private void startFleet(int hosts) throws Exception {
        fleetDir = TestServer.tempDir();
        fleet = ts.startFleet(hosts, fleetDir);
        fleet.load(40, true);
    }

    private String counts() {
        StringBuilder sb = new StringBuilder();
        for (Fleet.Member m : fleet.members()) {
            sb.append(m.host().name()).append('=');
            m.host().counts().forEach((v, c) -> sb.append('v').append(v).append(':').append(c[0]).append('/').append(c[1]).append(' '));
        }
        return sb.toString();
    }

    @Test
    void goodVersionRollsThroughEveryWaveAndABadOneStopsAtTheCanary() throws Exception {
        ts = new TestServer();
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC).status()).isEqualTo(200);
        startFleet(6);
        Map<String, String> good = WordPressLikeTree.generate(120, 1);
        int v1 = push(ts, good, "initial", null);
        assertThat(release(ts, "testing", v1, null).path("state").asText()).as("no hosts in testing").isEqualTo("COMPLETE");
        JsonNode first = awaitTerminal(ts, release(ts, "production", v1, null).path("id").asText());
        assertThat(first.path("state").asText()).as(first.path("reason").asText()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v1) == 6);

        Map<String, String> changed = new LinkedHashMap<>(good);
        changed.put("wp-config.php", good.get("wp-config.php").replace("'WP_DEBUG', false", "'WP_DEBUG', true"));
        int v2 = push(ts, changed, "debug on", null);
        release(ts, "testing", v2, null);
        JsonNode second = awaitTerminal(ts, release(ts, "production", v2, null).path("id").asText());
        assertThat(second.path("state").asText()).as(second.path("reason").asText()).isEqualTo("COMPLETE");
        List<String> types = second.path("events").findValuesAsText("type");
        assertThat(types).contains("rollout_started", "rollout_complete", "analysis");
        assertThat(types.stream().filter("wave_passed"::equals).count()).isEqualTo(3);
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v2) == 6);

        // the seed's outage: the typo pushed past the validators and straight to production
        int v3 = push(ts, WordPressLikeTree.withTypo(changed), "typo", "hotfix, no time for testing");
        TestServer.Response refused = ts.send("POST", "/api/v1/services/wp/environments/production/release", "{\"version\": " + v3 + "}");
        assertThat(refused.status()).isEqualTo(409);
        assertThat(json(refused).path("error").path("code").asText()).isEqualTo("promotion_order");
        JsonNode bad = awaitTerminal(ts, release(ts, "production", v3, "it's urgent").path("id").asText());
        assertThat(bad.path("state").asText()).isEqualTo("ROLLED_BACK");
        assertThat(bad.path("reason").asText()).contains("automatic rollback").containsAnyOf("ceiling", "sequential test");
        assertThat(bad.path("events").findValuesAsText("type")).contains("rollback_started").doesNotContain("wave_passed");
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v2) == 6);

        // only the canary ever served the bad version
        List<Fleet.Member> served = fleet.members().stream().filter(m -> m.host().everServed(v3)).toList();
        assertThat(served).hasSize(1);
        assertThat(served.get(0).host().name()).isEqualTo(bad.path("canaryHosts").get(0).asText());

        JsonNode v3info = json(ts.send("GET", "/api/v1/services/wp/versions/" + v3, null)).path("version");
        assertThat(v3info.path("bad").asBoolean()).isTrue();
        TestServer.Response again = ts.send("POST", "/api/v1/services/wp/environments/production/release",
                "{\"version\": " + v3 + ", \"breakGlass\": \"again\"}");
        assertThat(json(again).path("error").path("code").asText()).isEqualTo("version_bad");
        JsonNode envs = json(ts.send("GET", "/api/v1/services/wp/environments", null));
        assertThat(envs.get(1).path("releasedVersion").asInt()).isEqualTo(v2);
    }

    @Test
    void serverRestartMidRolloutResumesAndLosesNothing() throws Exception {
        Path dir = TestServer.tempDir();
        int port = TestServer.freePort();
        ts = new TestServer(dir, port);
        String slow = SPEC.replace("\"bakeSeconds\": 2", "\"bakeSeconds\": 4");
        assertThat(ts.send("PUT", "/api/v1/services/wp", slow).status()).isEqualTo(200);
        startFleet(4);
        Map<String, String> good = WordPressLikeTree.generate(80, 2);
        int v1 = push(ts, good, "initial", null);
        release(ts, "testing", v1, null);
        awaitTerminal(ts, release(ts, "production", v1, null).path("id").asText());
        Map<String, String> changed = new LinkedHashMap<>(good);
        changed.put("extra.conf", "Listen 8080\n");
        int v2 = push(ts, changed, "listen", null);
        release(ts, "testing", v2, null);
        String id = release(ts, "production", v2, null).path("id").asText();
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v2) == 1);

        ts.stopKeepingData();
        Thread.sleep(1500);
        ts = new TestServer(dir, port);
        JsonNode done = awaitTerminal(ts, id);
        assertThat(done.path("state").asText()).as(done.path("reason").asText() + " " + counts()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v2) == 4);
        assertThat(json(ts.send("GET", "/api/v1/services/wp/versions", null))).hasSize(2);
        assertThat(done.path("events").findValuesAsText("type")).contains("rollout_started", "rollout_complete");
    }

    @Test
    void manualRollbackOfACompletedReleaseInOneCommand() throws Exception {
        ts = new TestServer();
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC).status()).isEqualTo(200);
        startFleet(3);
        Map<String, String> good = WordPressLikeTree.generate(60, 3);
        int v1 = push(ts, good, "initial", null);
        release(ts, "testing", v1, null);
        awaitTerminal(ts, release(ts, "production", v1, null).path("id").asText());
        Map<String, String> changed = new LinkedHashMap<>(good);
        changed.put("extra.conf", "KeepAlive On\n");
        int v2 = push(ts, changed, "keepalive", null);
        release(ts, "testing", v2, null);
        awaitTerminal(ts, release(ts, "production", v2, null).path("id").asText());
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v2) == 3);

        TestServer.Response r = ts.send("POST", "/api/v1/services/wp/environments/production/rollback", "{\"reason\": \"pager\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(json(r).path("state").asText()).isEqualTo("ROLLED_BACK");
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v1) == 3);
        JsonNode envs = json(ts.send("GET", "/api/v1/services/wp/environments", null));
        assertThat(envs.get(1).path("releasedVersion").asInt()).isEqualTo(v1);
        assertThat(json(ts.send("GET", "/api/v1/services/wp/versions/" + v2, null)).path("version").path("bad").asBoolean()).isTrue();
    }
}
