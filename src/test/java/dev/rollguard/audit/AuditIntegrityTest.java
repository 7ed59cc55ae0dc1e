package dev.rollguard.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.TestServer;
import dev.rollguard.config.Hashing;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.storage.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Issue 13 items 8 and 16: versions never lack their audit record; the chain cannot be rewritten without the key. */
class AuditIntegrityTest {
    private TestServer ts;
    private Process server;
    private Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        if (server != null) server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        if (ts != null) ts.close();
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    /** What someone with the database but not the key does: recompute every hash from {@code from} on, as SHA-256. */
    private static void rewriteChain(Database db, long from) {
        db.jdbi().useTransaction(h -> {
            String prev = from == 1 ? AuditLog.GENESIS
                    : h.createQuery("SELECT hash FROM audit WHERE seq = :s").bind("s", from - 1).mapTo(String.class).one();
            for (Map<String, Object> r : h.createQuery("SELECT * FROM audit WHERE seq >= :s ORDER BY seq").bind("s", from).mapToMap().list()) {
                ObjectNode n = Json.MAPPER.createObjectNode();
                n.put("seq", ((Number) r.get("seq")).longValue());
                n.put("at", ((Number) r.get("at")).longValue());
                n.put("actor", (String) r.get("actor"));
                n.put("source", (String) r.get("source"));
                n.put("action", (String) r.get("action"));
                n.put("target", (String) r.get("target"));
                n.put("status", ((Number) r.get("status")).intValue());
                n.put("before", (String) r.get("before_state"));
                n.put("after", (String) r.get("after_state"));
                String hash = Hashing.sha256(prev + "\n" + n);
                h.createUpdate("UPDATE audit SET prev_hash = :p, hash = :h WHERE seq = :s").bind("p", prev).bind("h", hash)
                        .bind("s", r.get("seq")).execute();
                prev = hash;
            }
        });
    }

    private JsonNode verify() {
        return ts.get("/api/v1/audit/verify");
    }

    private void someHistory() {
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{}").status()).isEqualTo(200);
        for (int i = 0; i < 5; i++) ts.push(Map.of("a.conf", "v" + i + "\n"), "m" + i, null);
    }

    @Test
    void editingARecordAndRecomputingTheLaterHashesIsDetectedWithoutASavedHead() throws Exception {
        ts = new TestServer();
        someHistory();
        JsonNode fine = verify();
        assertThat(fine.path("ok").asBoolean()).as(fine.toString()).isTrue();
        assertThat(fine.path("unkeyedRecords").asLong()).isZero();
        ts.server.database().jdbi().useHandle(h -> h.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3"));
        rewriteChain(ts.server.database(), 3);
        JsonNode tampered = verify();
        assertThat(tampered.path("ok").asBoolean()).as(tampered.toString()).isFalse();
        assertThat(tampered.path("firstBadSeq").asLong()).isEqualTo(3);
        // the key lives next to the database, readable by the server's user only
        Path key = ts.dir.resolve("rollguard.db.audit-key");
        assertThat(key).exists();
        assertThat(Files.getPosixFilePermissions(key)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void aLogWhoseKeyFileIsGoneIsRefusedNotSealedWithANewKey() throws Exception {
        dir = TestServer.tempDir();
        ts = new TestServer(dir, 0);
        someHistory();
        ts.stopKeepingData();
        ts = null;
        // issue 25.11: rewrite the log as plain SHA-256, delete the key, restart
        try (Database db = Database.sqlite(dir.resolve("rollguard.db"))) {
            rewriteChain(db, 1);
        }
        Path key = dir.resolve("rollguard.db.audit-key");
        Files.delete(key);
        assertThatThrownBy(() -> new TestServer(dir, 0))
                .isInstanceOf(Problem.class)
                .hasMessageContaining("audit log").hasMessageContaining(key.toAbsolutePath().toString()).hasMessageContaining("refusing to start");
        assertThat(key).as("no key minted silently").doesNotExist();
    }

    @Test
    void recordsFromBeforeTheKeyStayVerifiableAndAreSealedByAKeyTheOperatorGives() throws Exception {
        dir = TestServer.tempDir();
        ts = new TestServer(dir, 0);
        someHistory();
        ts.stopKeepingData();
        ts = null;
        // as a log written before keys: plain SHA-256 links; the operator gives a key (ROLLGUARD_AUDIT_KEY) once
        try (Database db = Database.sqlite(dir.resolve("rollguard.db"))) {
            rewriteChain(db, 1);
            AuditKey given = AuditKey.load(dir.resolve("rollguard.db").toString(), dir.resolve("rollguard.db.audit-key"), "k".repeat(40), new AuditStore(db.jdbi()).count());
            AuditLog log = new AuditLog(db, new AuditStore(db.jdbi()), Clock.systemUTC(), given.bytes());
            log.sealUnkeyedPast(given);
            AuditLog.Verification sealed = log.verify();
            assertThat(sealed.ok()).as(sealed.toString()).isTrue();
            assertThat(sealed.unkeyedRecords()).isPositive();
            // rewriting the unkeyed past (all of it, up to the seal) is caught by the keyed record that sealed it
            long sealSeq = db.jdbi().withHandle(h -> h.createQuery("SELECT MIN(seq) FROM audit WHERE action = 'audit_key_sealed'")
                    .mapTo(Long.class).one());
            db.jdbi().useTransaction(h -> {
                h.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2");
                h.execute("UPDATE audit SET seq = -seq WHERE seq >= " + sealSeq);
            });
            rewriteChain(db, 2);
            db.jdbi().useTransaction(h -> h.execute("UPDATE audit SET seq = -seq WHERE seq < 0"));
            AuditLog.Verification tampered = log.verify();
            assertThat(tampered.ok()).as(tampered.toString()).isFalse();
            assertThat(tampered.firstBadSeq()).isEqualTo(sealSeq);
        }
    }

    @Test
    void aVersionWithoutItsAuditRecordFailsVerification() {
        ts = new TestServer();
        someHistory();
        assertThat(verify().path("ok").asBoolean()).isTrue();
        // what a crash between the two commits left before; now only a write around the server can
        ts.server.database().jdbi().useHandle(h -> h.execute("UPDATE versions SET audit_seq = NULL WHERE number = 4"));
        JsonNode v = verify();
        assertThat(v.path("ok").asBoolean()).as(v.toString()).isFalse();
        assertThat(v.path("problem").asText()).contains("wp v4", "no audit record");
    }

    @Test
    void killedDuringConcurrentPushesNoVersionLacksItsAuditRecord() throws Exception {
        dir = TestServer.tempDir();
        int port = TestServer.freePort();
        server = TestServer.startProcess(dir, port);
        String url = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest spec = HttpRequest.newBuilder(URI.create(url + "/api/v1/services/wp")).header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("{}")).build();
        assertThat(http.send(spec, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        AtomicInteger pushed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        for (int t = 0; t < 8; t++) {
            int thread = t;
            pool.submit(() -> {
                for (int i = 0; ; i++) {
                    String body = Json.write(Map.of("files", Map.of("a.conf", "thread " + thread + " push " + i + "\n"), "message", "m"));
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/services/wp/versions"))
                                .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 201) pushed.incrementAndGet();
                    } catch (Exception e) {
                        return;
                    }
                }
            });
        }
        await().atMost(TestServer.PATIENCE).until(() -> pushed.get() >= 150);
        server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        pool.shutdownNow();
        pool.awaitTermination(20, TimeUnit.SECONDS);

        ts = new TestServer(dir, 0);
        dir = null;
        int versions = ts.get("/api/v1/services/wp/versions?limit=1000").size();
        int recorded = 0;
        for (JsonNode e : ts.get("/api/v1/audit?limit=10000")) {
            if (e.path("action").asText().equals("POST /api/v1/services/{service}/versions") && e.path("status").asInt() == 201) recorded++;
        }
        assertThat(versions).isGreaterThanOrEqualTo(150);
        assertThat(recorded).as("one audit record per stored version").isEqualTo(versions);
        assertThat(verify().path("ok").asBoolean()).isTrue();
    }
}
