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
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Issue 13 item 4: a version the host cannot even write (here: its release directory is gone) fails that version only. */
class AgentFailureTest {
    private TestServer ts;
    private Agent agent;
    private Path dir;

    @AfterEach
    void cleanUp() {
        if (agent != null) agent.close();
        if (ts != null) ts.close();
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    private int push(String content) {
        TestServer.Response r = ts.send("POST", "/api/v1/services/wp/versions", Json.write(Map.of("files", Map.of("a.conf", content), "message", "m")));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return Json.read(r.body(), JsonNode.class).path("version").path("number").asInt();
    }

    private JsonNode releaseAndWait(int version) {
        TestServer.Response r = ts.send("POST", "/api/v1/services/wp/environments/testing/release", "{\"version\": " + version + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        String id = Json.read(r.body(), JsonNode.class).path("id").asText();
        return ts.awaitTerminal(id);
    }

    private JsonNode host() {
        return ts.get("/api/v1/services/wp/environments/testing/hosts").get(0);
    }

    @Test
    void aStagingErrorFailsThatVersionAndTheAgentGoesOn() throws Exception {
        ts = new TestServer();
        dir = Files.createTempDirectory("rollguard-agent-failure-");
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"promotionBakeSeconds\": 0, \"waves\": [{\"percent\": 100, "
                + "\"bakeSeconds\": 0}]}}").status()).isEqualTo(200);
        int v1 = push("one\n");
        agent = new Agent(new AgentConfig(List.of(ts.url()), "wp", "testing", "h1", dir.resolve("h1"), null, null, 3,
                Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(5), TestServer.ADMIN_TOKEN),
                new HealthWindow(Instant.now()), Clock.systemUTC()).start();
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/testing/hosts").size() == 1
                && !host().path("lastSeen").isNull());
        assertThat(releaseAndWait(v1).path("state").asText()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v1).equals(agent.appliedVersion()));

        // the release directory becomes a file: writing the next version fails with an I/O error (like a full disk)
        Path releases = dir.resolve("h1").toRealPath().resolve("releases");
        Path aside = releases.resolveSibling("releases.aside");
        Files.move(releases, aside);
        Files.writeString(releases, "not a directory");
        int v2 = push("two\n");
        JsonNode failed = releaseAndWait(v2);
        assertThat(failed.path("state").asText()).isEqualTo("ROLLED_BACK");
        assertThat(failed.path("reason").asText()).contains("failed to apply v" + v2);
        assertThat(host().path("failedVersion").asInt()).isEqualTo(v2);
        assertThat(host().path("applyError").asText()).contains("releases");

        // the host recovers, and the agent is still there to take the next version
        Files.delete(releases);
        Files.move(aside, releases);
        int v3 = push("three\n");
        assertThat(releaseAndWait(v3).path("state").asText()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v3).equals(agent.appliedVersion()));
        assertThat(Files.readString(dir.resolve("h1").resolve("current").resolve("a.conf"))).isEqualTo("three\n");
    }
}
