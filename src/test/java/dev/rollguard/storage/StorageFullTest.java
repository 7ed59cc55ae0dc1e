package dev.rollguard.storage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13 item 13: the database's disk fills up (a real, small tmpfs under a real SQLite file). Mounting needs root
 * (CI runs as root); elsewhere the test is skipped, saying why.
 */
class StorageFullTest {
    private Path mount;
    private TestServer ts;

    @AfterEach
    void cleanUp() throws Exception {
        if (ts != null) ts.stopKeepingData();
        if (mount != null) {
            new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
            Files.deleteIfExists(mount);
        }
    }

    private static boolean run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    private TestServer.Response push(int i) {
        // 600 KB of text that does not compress away: each version adds new blobs to the database
        StringBuilder sb = new StringBuilder();
        Random rnd = new Random(i);
        while (sb.length() < 600_000) sb.append(Long.toHexString(rnd.nextLong())).append('\n');
        return ts.send("POST", "/api/v1/services/wp/versions", Json.write(Map.of("files", Map.of("big.conf", sb.toString()), "message", "m" + i)));
    }

    @Test
    void aFullDiskIsAStable503AndTheHealthCheckSaysSo() throws Exception {
        mount = Files.createTempDirectory("rollguard-tmpfs-");
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", mount.toString());
        if (!mounted) {
            Files.deleteIfExists(mount);
            mount = null;
        }
        Assumptions.assumeTrue(mounted, "cannot mount a tmpfs here (not root): the full-disk test needs one");
        ts = new TestServer(mount, 0);
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{}").status()).isEqualTo(200);
        assertThat(ts.send("GET", "/api/v1/health", null).status()).isEqualTo(200);

        TestServer.Response full = null;
        for (int i = 0; i < 40 && full == null; i++) {
            TestServer.Response r = push(i);
            if (r.status() != 201) full = r;
        }
        assertThat(full).as("the disk filled up").isNotNull();
        assertThat(full.status()).as(full.body()).isEqualTo(503);
        assertThat(full.body()).contains("storage_full");
        TestServer.Response health = ts.send("GET", "/api/v1/health", null);
        assertThat(health.status()).isEqualTo(503);
        assertThat(TestServer.json(health).path("storage").asText()).isEqualTo("full");

        // signing in writes too: a clear 503, not a 500
        ts.send("POST", "/api/v1/users", "{\"name\": \"bob\"}");
        HttpResponse<String> login = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ts.url() + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("user=admin&token=" + TestServer.ADMIN_TOKEN + "&next=/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).as(login.body()).isIn(302, 503);

        // space comes back: so does the server, with everything acknowledged before
        int stored = ts.get("/api/v1/services/wp/versions?limit=1000").size();
        ts.stopKeepingData();
        ts = null;
        // a restart on a larger disk: copy the database out of the full tmpfs
        Path elsewhere = TestServer.tempDir();
        for (String f : new String[]{"rollguard.db", "rollguard.db-wal", "rollguard.db-shm", "rollguard.db.audit-key", "rollguard.db.secrets-key"}) {
            if (Files.exists(mount.resolve(f))) Files.copy(mount.resolve(f), elsewhere.resolve(f));
        }
        ts = new TestServer(elsewhere, 0);
        assertThat(ts.send("GET", "/api/v1/health", null).status()).isEqualTo(200);
        JsonNode versions = ts.get("/api/v1/services/wp/versions?limit=1000");
        assertThat(versions.size()).isEqualTo(stored);
        assertThat(push(1000).status()).isEqualTo(201);
        assertThat(ts.get("/api/v1/audit/verify").path("ok").asBoolean()).isTrue();
        ts.close();
        ts = null;
    }
}
