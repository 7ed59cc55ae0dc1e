package dev.rollguard.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.config.TreeLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class AgentHooksTest {
    private final List<Agent> agents = new ArrayList<>();
    private TestServer ts;
    private Path dir;

    @AfterEach
    void cleanUp() {
        agents.forEach(Agent::close);
        if (ts != null) ts.close();
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    private Agent agent(String host, String url) {
        Agent a = new Agent(new AgentConfig(List.of("http://127.0.0.1:1", url), "wp", "testing", host, dir.resolve(host),
                "test ! -f \"$ROLLGUARD_RELEASE_DIR/invalid.conf\" || { echo 'AH00526: Syntax error on line 1'; exit 1; }",
                "test ! -f \"$ROLLGUARD_CURRENT/noreload.conf\" || { echo 'graceful failed'; exit 1; }",
                3, Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(5), TestServer.ADMIN_TOKEN),
                new HealthWindow(Instant.now()), Clock.systemUTC()).start();
        agents.add(a);
        return a;
    }

    private int push(Map<String, String> files) {
        TestServer.Response r = ts.send("POST", "/api/v1/services/wp/versions", Json.write(Map.of("files", files, "message", "m")));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return Json.read(r.body(), JsonNode.class).path("version").path("number").asInt();
    }

    private JsonNode releaseAndWait(int version) {
        TestServer.Response r = ts.send("POST", "/api/v1/services/wp/environments/testing/release", "{\"version\": " + version + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        String id = Json.read(r.body(), JsonNode.class).path("id").asText();
        JsonNode[] last = new JsonNode[1];
        await().atMost(TestServer.PATIENCE).until(() -> {
            last[0] = Json.read(ts.send("GET", "/api/v1/rollouts/" + id, null).body(), JsonNode.class);
            return !last[0].path("state").asText().matches("RUNNING|PAUSED");
        });
        return last[0];
    }

    @Test
    void failingHooksKeepTheOldTreeAndFailTheRolloutAndAgentsRideOutAnOutage() throws Exception {
        dir = TestServer.tempDir();
        int port = TestServer.freePort();
        ts = new TestServer(dir.resolve("server"), port);
        ts.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"waves\": [{\"hosts\": 1, \"bakeSeconds\": 1}, {\"percent\": 100, \"bakeSeconds\": 0}]}}");
        Agent a = agent("a", ts.url());
        Agent b = agent("b", ts.url());
        await().atMost(TestServer.PATIENCE).until(() -> Json.read(ts.send("GET", "/api/v1/services/wp/environments/testing/hosts", null)
                .body(), JsonNode.class).size() == 2);

        int v1 = push(Map.of("site.conf", "ServerName a\n"));
        assertThat(releaseAndWait(v1).path("state").asText()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v1).equals(a.appliedVersion()) && Integer.valueOf(v1).equals(b.appliedVersion()));

        int v2 = push(Map.of("site.conf", "ServerName a\n", "invalid.conf", "Foo\n"));
        JsonNode failed = releaseAndWait(v2);
        assertThat(failed.path("state").asText()).isEqualTo("ROLLED_BACK");
        assertThat(failed.path("reason").asText()).contains("failed to apply v" + v2, "pre-apply hook failed", "AH00526");
        Agent canary = failed.path("canaryHosts").get(0).asText().equals("a") ? a : b;
        assertThat(canary.appliedVersion()).isEqualTo(v1);
        assertThat(canary.releases().currentVersion()).isEqualTo(v1);

        int v3 = push(Map.of("site.conf", "ServerName c\n", "noreload.conf", "x\n"));
        JsonNode reloadFailed = releaseAndWait(v3);
        assertThat(reloadFailed.path("reason").asText()).contains("reload hook failed", "graceful failed");
        assertThat(a.releases().currentVersion()).isEqualTo(v1);
        assertThat(b.releases().currentVersion()).isEqualTo(v1);
        assertThat(Files.readString(a.releases().current().resolve("site.conf"))).isEqualTo("ServerName a\n");

        // the server goes away: agents keep the last good tree and come back when it does
        ts.stopKeepingData();
        await().atMost(TestServer.PATIENCE).until(() -> !a.connected());
        assertThat(a.releases().currentVersion()).isEqualTo(v1);
        Thread.sleep(1000);
        ts = new TestServer(dir.resolve("server"), port);
        await().atMost(TestServer.PATIENCE).until(a::connected);
        int v4 = push(Map.of("site.conf", "ServerName d\n"));
        assertThat(releaseAndWait(v4).path("state").asText()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v4).equals(a.appliedVersion()) && Integer.valueOf(v4).equals(b.appliedVersion()));
    }
}
