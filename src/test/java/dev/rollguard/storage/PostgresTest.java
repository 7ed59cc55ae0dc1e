package dev.rollguard.storage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.RestartsPostgres;
import dev.rollguard.TestServer;
import dev.rollguard.UsesPostgres;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.sim.Fleet;
import dev.rollguard.sim.WordPressLikeTree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The same server on a real PostgreSQL (a fresh database per test): schema through Flyway, config store,
 * rollouts with agents, automatic rollback, incidents, auth and the audit chain. CI starts Debian's PostgreSQL and
 * sets ROLLGUARD_TEST_POSTGRES (an admin URL) and ROLLGUARD_REQUIRE_POSTGRES=1.
 */
@UsesPostgres
@RestartsPostgres
class PostgresTest {
    private ScratchPostgres db;
    private TestServer ts;
    private Fleet fleet;
    private Path fleetDir;

    @BeforeEach
    void createDatabase() throws Exception {
        db = ScratchPostgres.create();
    }

    @AfterEach
    void dropDatabase() throws Exception {
        if (fleet != null) fleet.close();
        if (ts != null) ts.close();
        if (fleetDir != null) TreeLoader.deleteRecursively(fleetDir);
        if (db != null) db.close();
    }

    @Test
    void theWholeLoopRunsOnPostgres() throws Exception {
        ts = new TestServer(db.url, db.keyDir);
        assertThat(ts.get("/api/v1/health").path("database").asText()).isEqualTo("postgresql");
        // the keys went to the key directory given, not into ./data of the checkout the tests run in
        assertThat(db.keyDir.resolve("audit.key")).isRegularFile();
        assertThat(db.keyDir.resolve("secrets.key")).isRegularFile();
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"promotionBakeSeconds\": 0, \"waves\": [{\"hosts\": 1, \"bakeSeconds\": 2}, "
                + "{\"percent\": 100, \"bakeSeconds\": 1}]}}").status()).isEqualTo(200);
        fleetDir = TestServer.tempDir();
        fleet = ts.startFleet(3, fleetDir);
        fleet.load(40, true);
        Map<String, String> good = WordPressLikeTree.generate(60, 5);
        int v1 = ts.push(good, "initial", null);
        ts.release("testing", v1, null);
        assertThat(ts.awaitTerminal(ts.release("production", v1, null).path("id").asText()).path("state").asText()).isEqualTo("COMPLETE");

        TestServer.Response refused = ts.send("POST", "/api/v1/services/wp/versions",
                Json.write(Map.of("files", WordPressLikeTree.withTypo(good), "message", "typo")));
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.body()).contains("did you mean '.php'");
        int v2 = ts.push(WordPressLikeTree.withTypo(good), "typo", "urgent");
        JsonNode bad = ts.awaitTerminal(ts.release("production", v2, "urgent").path("id").asText());
        assertThat(bad.path("state").asText()).isEqualTo("ROLLED_BACK");
        await().atMost(TestServer.PATIENCE).until(() -> {
            JsonNode list = ts.get("/api/v1/incidents");
            return list.size() == 1 && !list.get(0).path("recoveredAt").isNull();
        });
        int id = ts.get("/api/v1/incidents").get(0).path("id").asInt();
        assertThat(ts.get("/api/v1/incidents/" + id).path("timeline").findValuesAsText("type")).contains("first_5xx", "rollback_finished");
        assertThat(ts.send("POST", "/api/v1/incidents/" + id + "/actions", "{\"title\": \"t\", \"due\": \"2026-12-01\"}").status()).isEqualTo(201);
        assertThat(ts.send("GET", "/api/v1/incidents/" + id + "/postmortem", null).body()).contains("## Timeline");

        assertThat(ts.send("POST", "/api/v1/users", "{\"name\": \"bob\"}").status()).isEqualTo(201);
        assertThat(ts.send("PUT", "/api/v1/users/bob/roles", "{\"service\": \"wp\", \"role\": \"viewer\"}").status()).isEqualTo(200);
        String bob = TestServer.json(ts.send("POST", "/api/v1/tokens", "{\"user\": \"bob\"}")).path("token").asText();
        assertThat(ts.send("GET", "/api/v1/tokens", null).status()).isEqualTo(200);
        assertThat(ts.send("GET", "/api/v1/tokens", null, bob).status()).isEqualTo(200);
        assertThat(ts.send("POST", "/api/v1/services/wp/environments/production/rollback", "{}", bob).status()).isEqualTo(403);
        JsonNode audit = ts.get("/api/v1/audit/verify");
        assertThat(audit.path("ok").asBoolean()).isTrue();
        assertThat(audit.path("records").asLong()).isGreaterThan(5);
    }

    /** Two replicas numbering incidents and action items at the same moment: every request succeeds, no number twice. */
    @Test
    void replicasNumberNewRowsWithoutCollisions() throws Exception {
        ts = new TestServer(db.url, db.keyDir);
        try (TestServer other = new TestServer(db.url, db.keyDir)) {
            assertThat(ts.send("PUT", "/api/v1/services/wp", "{}").status()).isEqualTo(200);
            List<TestServer> replicas = List.of(ts, other);
            Set<Integer> incidents = createAtOnce(replicas, i -> "/api/v1/incidents",
                    i -> "{\"service\": \"wp\", \"env\": \"production\", \"title\": \"by hand " + i + "\"}");
            int incident = incidents.iterator().next();
            createAtOnce(replicas, i -> "/api/v1/incidents/" + incident + "/actions", i -> "{\"title\": \"follow-up " + i + "\"}");
            assertThat(ts.get("/api/v1/audit/verify").path("ok").asBoolean()).isTrue();
        }
    }

    /** 24 POSTs at once, alternating between the replicas: each must be created, each with a number of its own. */
    private static Set<Integer> createAtOnce(List<TestServer> replicas, IntFunction<String> path,
                                                       IntFunction<String> body) throws Exception {
        var pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<TestServer.Response>> sent = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                TestServer to = replicas.get(i % replicas.size());
                int n = i;
                sent.add(pool.submit(() -> to.send("POST", path.apply(n), body.apply(n))));
            }
            Set<Integer> ids = new HashSet<>();
            for (var f : sent) {
                TestServer.Response r = f.get();
                assertThat(r.status()).as(r.body()).isEqualTo(201);
                ids.add(TestServer.json(r).path("id").asInt());
            }
            assertThat(ids).hasSize(24);
            return ids;
        } finally {
            pool.shutdownNow();
        }
    }

    /** PostgreSQL restarted in the middle of a rollout: the server reconnects, the rollout finishes, nothing is lost. */
    @Test
    void aPostgresRestartMidRolloutLosesNothing() throws Exception {
        String restart = System.getenv("ROLLGUARD_TEST_POSTGRES_RESTART");
        if ("1".equals(System.getenv("ROLLGUARD_REQUIRE_POSTGRES"))) assertThat(restart).as("ROLLGUARD_TEST_POSTGRES_RESTART").isNotBlank();
        else assumeTrue(restart != null && !restart.isBlank(), "no command to restart PostgreSQL (ROLLGUARD_TEST_POSTGRES_RESTART)");
        ts = new TestServer(db.url, db.keyDir);
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"promotionBakeSeconds\": 0, \"heartbeatTimeoutSeconds\": 30, "
                + "\"waves\": [{\"hosts\": 1, \"bakeSeconds\": 8}, {\"percent\": 100, \"bakeSeconds\": 1}]}}").status()).isEqualTo(200);
        fleetDir = TestServer.tempDir();
        fleet = ts.startFleet(3, fleetDir);
        fleet.load(20, true);
        Map<String, String> good = WordPressLikeTree.generate(40, 9);
        int v1 = ts.push(good, "initial", null);
        String first = ts.release("production", v1, "first").path("id").asText();
        assertThat(ts.awaitTerminal(first).path("state").asText()).isEqualTo("COMPLETE");
        Map<String, String> changed = new LinkedHashMap<>(good);
        changed.put("extra.conf", "x = 1\n");
        int v2 = ts.push(changed, "more", null);
        String second = ts.release("production", v2, "second").path("id").asText();
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v2) == 1);

        Process p = new ProcessBuilder("sh", "-c", restart).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();

        JsonNode done = ts.awaitTerminal(second);
        assertThat(done.path("state").asText()).as(done.path("reason").asText()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v2) == 3);
        int v3 = ts.push(Map.of("only.conf", "y = 2\n"), "after the restart", null);
        assertThat(ts.get("/api/v1/services/wp/versions").size()).isEqualTo(v3);
        assertThat(ts.get("/api/v1/audit/verify").path("ok").asBoolean()).isTrue();
        // only the reviews of the two break-glass releases: no outage was seen
        assertThat(ts.get("/api/v1/incidents").findValuesAsText("source")).containsOnly("BREAK_GLASS");
    }
}
