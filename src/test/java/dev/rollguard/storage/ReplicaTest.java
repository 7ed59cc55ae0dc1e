package dev.rollguard.storage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.UsesPostgres;
import dev.rollguard.agent.Agent;
import dev.rollguard.agent.AgentConfig;
import dev.rollguard.agent.HealthWindow;
import dev.rollguard.client.ApiClient;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.sim.Fleet;
import dev.rollguard.sim.WordPressLikeTree;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two servers on one PostgreSQL, one of them a separate process that is killed with SIGKILL: a release on one
 * reaches agents long-polling the other at once (LISTEN/NOTIFY), the orchestrator runs on one lease holder that
 * sees every host's health (shared reports), and when the holder dies mid-rollout the other takes over and
 * finishes. Bounded, loopback only.
 */
@UsesPostgres
class ReplicaTest {
    private ScratchPostgres db;
    private String dbUrl;
    private Process replicaA;
    private final List<Process> processes = new ArrayList<>();
    private final List<Agent> agents = new ArrayList<>();
    private TestServer replicaB;
    private Fleet fleet;
    private Path fleetDir;
    private Path logDir;

    @BeforeEach
    void createDatabase() throws Exception {
        db = ScratchPostgres.create();
        dbUrl = db.url;
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (fleet != null) fleet.close();
        agents.forEach(Agent::close);
        for (Process p : processes) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        if (replicaB != null) replicaB.close();
        if (fleetDir != null) TreeLoader.deleteRecursively(fleetDir);
        if (logDir != null) TreeLoader.deleteRecursively(logDir);
        if (db != null) db.close();
    }

    /** A replica in a JVM of its own (so a kill -9 is real), its output in {@code logDir/NAME.log}; returns its URL once it answers. */
    private String startProcessReplica(String name) throws Exception {
        if (logDir == null) logDir = TestServer.tempDir();
        int port = TestServer.freePort();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "dev.rollguard.cli.Main", "server", "--db", dbUrl, "--port", String.valueOf(port),
                "--key-dir", db.keyDir.toString(), "--channel-port", "0"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logDir.resolve(name + ".log").toFile());
        pb.environment().put("ROLLGUARD_BOOTSTRAP_TOKEN", TestServer.ADMIN_TOKEN);
        processes.add(pb.start());
        String url = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        return url;
    }

    private String orchestratorHolder() throws Exception {
        try (Connection c = ScratchPostgres.connect(dbUrl)) {
            var rs = c.createStatement().executeQuery("SELECT holder FROM leases WHERE name = 'orchestrator'");
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private String holder(String duty) {
        return replicaB.server.database().jdbi().withHandle(h -> h.createQuery("SELECT holder FROM leases WHERE name = :n")
                .bind("n", duty).mapTo(String.class).findOne().orElse(null));
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void twoReplicasShareTheWorkAndSurviveTheDeathOfTheOrchestrator() throws Exception {
        String a = startProcessReplica("replica-a");
        replicaA = processes.get(0);
        // A started first and holds the orchestrator lease; B is an in-process replica on the same database
        await().atMost(TestServer.PATIENCE).until(() -> orchestratorHolder() != null);
        replicaB = new TestServer(dbUrl, db.keyDir);
        String holderA = holder("orchestrator");
        assertThat(holderA).isNotEqualTo(replicaB.server.replica());

        assertThat(replicaB.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"promotionBakeSeconds\": 0, \"heartbeatTimeoutSeconds\": 20, "
                + "\"waves\": [{\"hosts\": 1, \"bakeSeconds\": 6}, {\"percent\": 100, \"bakeSeconds\": 1}]}}").status()).isEqualTo(200);
        // agents talk to B only
        fleetDir = TestServer.tempDir();
        fleet = replicaB.startFleet(4, fleetDir);
        fleet.load(40, true);

        // a release started through A reaches B's long-polling agents at once (their long-poll lasts 30 s)
        Map<String, String> good = WordPressLikeTree.generate(60, 7);
        int v1 = replicaB.push(good, "initial", null);
        HttpClient http = HttpClient.newHttpClient();
        long t0 = System.nanoTime();
        HttpResponse<String> released = http.send(HttpRequest.newBuilder(URI.create(a + "/api/v1/services/wp/environments/production/release"))
                .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"version\": " + v1 + ", \"breakGlass\": \"first release\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(released.statusCode()).as(released.body()).isEqualTo(201);
        await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(20)).until(() -> fleet.onVersion(v1) >= 1);
        System.out.printf("replica A release -> canary on replica B applied: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        String first = Json.MAPPER.readTree(released.body()).path("id").asText();
        assertThat(replicaB.awaitTerminal(first).path("state").asText()).isEqualTo("COMPLETE");

        // the bad version: A orchestrates, the health it needs was reported to B
        int v2 = replicaB.push(WordPressLikeTree.withTypo(good), "typo", "urgent");
        JsonNode bad = replicaB.awaitTerminal(replicaB.release("production", v2, "urgent").path("id").asText());
        assertThat(bad.path("state").asText()).isEqualTo("ROLLED_BACK");
        assertThat(bad.path("reason").asText()).contains("automatic rollback");
        assertThat(holder("orchestrator")).isEqualTo(holderA);

        // kill -9 the orchestrator mid-rollout: B takes the lease over and finishes
        Map<String, String> changed = new LinkedHashMap<>(good);
        changed.put("wp-config.php", good.get("wp-config.php").replace("'WP_DEBUG', false", "'WP_DEBUG', true"));
        int v3 = replicaB.push(changed, "debug", null);
        String third = replicaB.release("production", v3, "after the fix").path("id").asText();
        try {
            await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v3) == 1);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("canary never applied v" + v3 + "; hosts: " + replicaB.get("/api/v1/services/wp/environments/production/hosts")
                    + "; rollout: " + replicaB.get("/api/v1/rollouts/" + third).path("state") + " " + replicaB.get("/api/v1/rollouts/" + third)
                    .path("events") + "; agents: " + fleet.members().stream().map(m -> m.host().name() + "=" + m.agent().appliedVersion() + "/"
                    + m.agent().connected()).toList(), e);
        }
        replicaA.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        long killedAt = System.nanoTime();
        JsonNode done = replicaB.awaitTerminal(third);
        assertThat(done.path("state").asText()).isEqualTo("COMPLETE");
        assertThat(holder("orchestrator")).isEqualTo(replicaB.server.replica());
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v3) == 4);
        System.out.printf("orchestrator killed -> rollout complete on the other replica: %d ms%n", (System.nanoTime() - killedAt) / 1_000_000);
    }

    /**
     * Two replicas, both separate processes, agents given both URLs (a channel on each replica's channel port, streams and
     * long-polls, their host ids spreading them over the two), a release under way, and the replica holding the orchestrator lease killed with
     * SIGKILL after the canary applied: the agents on it move to the other replica, which takes the lease over and
     * finishes the rollout on every host.
     */
    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void killingAReplicaMidReleaseLosesNoAgent() throws Exception {
        String a = startProcessReplica("replica-a");
        await().atMost(TestServer.PATIENCE).until(() -> orchestratorHolder() != null);
        String holderA = orchestratorHolder();
        String b = startProcessReplica("replica-b");
        ApiClient api = new ApiClient(b, "test", TestServer.ADMIN_TOKEN);
        api.put("/api/v1/services/wp", Json.MAPPER.readTree("{\"rollout\": {\"promotionBakeSeconds\": 0, \"heartbeatTimeoutSeconds\": 20, "
                + "\"waves\": [{\"hosts\": 1, \"bakeSeconds\": 5}, {\"percent\": 100, \"bakeSeconds\": 1}]}}"));
        fleetDir = TestServer.tempDir();
        for (int i = 0; i < 8; i++) {
            // h0, h2, h4, h6 pick the first URL by their ids, the others the second; a channel, a stream and two long-polls on each
            agents.add(new Agent(new AgentConfig(List.of(a, b), "wp", "testing", "h" + i, fleetDir.resolve("h" + i), null, null, 3,
                    Duration.ofMillis(250), Duration.ofSeconds(20), Duration.ofSeconds(10), TestServer.ADMIN_TOKEN).withStream(i / 2 < 2)
                    .withChannel(i / 2 == 0),
                    new HealthWindow(Instant.now()), Clock.systemUTC()).start());
        }
        for (String server : List.of(a, b)) {
            assertThat(agents.stream().filter(x -> x.server().equals(server)).count()).isEqualTo(4);
        }
        await().atMost(TestServer.PATIENCE).until(() -> api.get("/api/v1/services/wp/environments/testing/hosts").size() == 8);

        Map<String, String> good = WordPressLikeTree.generate(20, 3);
        int v1 = push(api, good);
        String first = api.post("/api/v1/services/wp/environments/testing/release", Map.of("version", v1)).path("id").asText();
        assertThat(awaitTerminal(api, first).path("state").asText()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).until(() -> onVersion(v1) == 8);
        assertThat(agents.stream().map(Agent::heardBy).distinct()).containsExactlyInAnyOrder("channel", "stream", "long-poll");
        // the channel agents hold their channels on each replica's own channel port (Netty), not on its API's
        assertThat(agents.stream().filter(x -> "channel".equals(x.heardBy())).map(Agent::channelVia)).hasSize(2).allMatch(v -> v.startsWith("ws://"));

        Map<String, String> changed = new LinkedHashMap<>(good);
        changed.put("wp-config.php", good.get("wp-config.php").replace("'WP_DEBUG', false", "'WP_DEBUG', true"));
        int v2 = push(api, changed);
        String rollout = api.post("/api/v1/services/wp/environments/testing/release", Map.of("version", v2)).path("id").asText();
        await().atMost(TestServer.PATIENCE).until(() -> onVersion(v2) >= 1);
        assertThat(api.get("/api/v1/rollouts/" + rollout).path("state").asText()).as("the release is under way at the kill").isEqualTo("RUNNING");
        processes.get(0).destroyForcibly().waitFor(10, TimeUnit.SECONDS);

        JsonNode done = awaitTerminal(api, rollout);
        assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("COMPLETE");
        assertThat(orchestratorHolder()).isNotEqualTo(holderA);
        await().atMost(TestServer.PATIENCE).until(() -> onVersion(v2) == 8);
        assertThat(agents).allSatisfy(x -> {
            assertThat(x.server()).isEqualTo(b);
            assertThat(x.failedVersion()).isNull();
        });
    }

    private static JsonNode awaitTerminal(ApiClient api, String rollout) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = api.get("/api/v1/rollouts/" + rollout);
            return !List.of("RUNNING", "PAUSED").contains(last[0].path("state").asText());
        });
        return last[0];
    }

    private static int push(ApiClient api, Map<String, String> files) {
        return api.post("/api/v1/services/wp/versions", Map.of("files", files, "message", "m")).path("version").path("number").asInt();
    }

    private long onVersion(int v) {
        return agents.stream().filter(x -> Integer.valueOf(v).equals(x.appliedVersion())).count();
    }
}
