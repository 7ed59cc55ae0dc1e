package dev.rollguard.secrets;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Problem;
import dev.rollguard.TestServer;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.storage.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 22 item 3: files holding a secret rest sealed; agents get them whole, people see the mask, a lost key stops the start. */
class SecretFilesTest {
    static final String MARKER = "MARKER-7f3a9c1e-s3cr3t";
    static final String WP_CONFIG = "<?php\ndefine('DB_NAME', 'wordpress');\ndefine('DB_PASSWORD', '" + MARKER + "');\n";

    private TestServer ts;
    private Path dir;

    @AfterEach
    void cleanUp() {
        if (ts != null) ts.close();
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    private String viewer() {
        ok(ts.send("POST", "/api/v1/users", "{\"name\": \"vera\"}"));
        ok(ts.send("PUT", "/api/v1/users/vera/roles", "{\"service\": \"wp\", \"role\": \"VIEWER\"}"));
        return TestServer.json(ok(ts.send("POST", "/api/v1/tokens", "{\"user\": \"vera\", \"name\": \"t\"}"))).path("token").asText();
    }

    private static TestServer.Response ok(TestServer.Response r) {
        assertThat(r.status()).as(r.body()).isBetween(200, 299);
        return r;
    }

    /** Every file of the data directory, searched byte for byte (the database, its WAL and shared memory, the keys). */
    static List<Path> holding(Path dir, String marker) throws IOException {
        return holding(dir, marker, StandardCharsets.UTF_8);
    }

    static List<Path> holding(Path dir, String marker, Charset encoding) throws IOException {
        byte[] needle = marker.getBytes(encoding);
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (indexOf(Files.readAllBytes(f), needle) >= 0) found.add(f);
            }
        }
        return found;
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    /** A server on its own data directory holding one version of wp with {@link #WP_CONFIG}. */
    private void serverWithWpConfig() {
        dir = TestServer.tempDir();
        ts = new TestServer(dir, 0);
        ok(ts.send("PUT", "/api/v1/services/wp", "{}"));
        ts.push(Map.of("wp-config.php", WP_CONFIG), "first", null);
    }

    @Test
    void aFileHoldingASecretIsStoredSealedDeliveredWholeAndShownMasked() throws Exception {
        ts = new TestServer();
        ok(ts.send("PUT", "/api/v1/services/wp", "{}"));
        int v1 = ts.push(Map.of("wp-config.php", WP_CONFIG, "index.php", "<?php echo 1;\n"), "first", null);
        int v2 = ts.push(Map.of("wp-config.php", WP_CONFIG.replace(MARKER, MARKER + "-2"), "index.php", "<?php echo 1;\n"), "rotate pw", null);

        List<Map<String, Object>> rows = ts.server.database().jdbi().withHandle(h -> h.createQuery("SELECT hash, sealed, data FROM blobs").mapToMap().list());
        assertThat(rows).hasSize(3);
        for (Map<String, Object> row : rows) {
            String data = new String((byte[]) row.get("data"), StandardCharsets.UTF_8);
            assertThat(data).doesNotContain(MARKER);
            if (data.startsWith("<?php echo")) assertThat(row.get("sealed")).isIn(false, 0);
            else assertThat(Sealer.isSealed(data)).as(data).isTrue();
        }
        assertThat(holding(ts.dir, MARKER)).as("bytes of the data directory").isEmpty();

        // what an agent (or an admin asking for the raw bundle) receives: the file as pushed
        JsonNode bundle = ts.get("/api/v1/services/wp/versions/" + v1 + "/bundle");
        String delivered = "";
        for (JsonNode e : bundle.path("entries")) {
            if (e.path("path").asText().equals("wp-config.php")) delivered = new String(Base64.getDecoder().decode(e.path("base64").asText()), StandardCharsets.UTF_8);
        }
        assertThat(delivered).isEqualTo(WP_CONFIG);

        // what people see: the mask, in the file view (also with download=true), the bundle, the diff
        String viewer = viewer();
        String view = ok(ts.send("GET", "/api/v1/services/wp/versions/" + v1 + "/files/wp-config.php", null, viewer)).body();
        assertThat(view).contains("define('DB_PASSWORD', '********')").doesNotContain(MARKER);
        assertThat(ok(ts.send("GET", "/api/v1/services/wp/versions/" + v1 + "/files/wp-config.php?download=true", null, viewer)).body())
                .doesNotContain(MARKER);
        assertThat(ok(ts.send("GET", "/api/v1/services/wp/versions/" + v1 + "/bundle", null, viewer)).body()).doesNotContain(
                Base64.getEncoder().encodeToString(WP_CONFIG.getBytes(StandardCharsets.UTF_8)));
        String diff = ok(ts.send("GET", "/api/v1/services/wp/diff?from=" + v1 + "&to=" + v2, null, viewer)).body();
        assertThat(diff).contains("wp-config.php").doesNotContain(MARKER);
        assertThat(ok(ts.send("GET", "/api/v1/audit?limit=100", null)).body()).doesNotContain(MARKER);
    }

    @Test
    void aMissingOrWrongSecretsKeyStopsTheStartWithTheReason() throws Exception {
        serverWithWpConfig();
        ts.stopKeepingData();
        ts = null;
        Path key = dir.resolve("rollguard.db.secrets-key");
        String ring = Files.readString(key);

        Files.delete(key);
        assertThatThrownBy(() -> new TestServer(dir, 0)).isInstanceOf(Problem.class)
                .hasMessageContaining("secrets keys from " + key.toAbsolutePath() + ", which is missing").hasMessageContaining("refusing to start");
        assertThat(key).as("no key minted silently").doesNotExist();

        // another ring (a key file from another server): refused too, naming the key it lacks
        KeyRing.load(dir.resolve("other.db").toString(), dir.resolve("other.db.secrets-key"), null, true);
        Files.copy(dir.resolve("other.db.secrets-key"), key);
        assertThatThrownBy(() -> new TestServer(dir, 0)).isInstanceOf(Problem.class).hasMessageContaining("does not hold");

        Files.writeString(key, ring);
        ts = new TestServer(dir, 0);
        assertThat(ts.send("GET", "/api/v1/services/wp/versions/1/files/wp-config.php?unmasked=true", null).body()).isEqualTo(WP_CONFIG);
    }

    @Test
    void plainTextStoredBeforeIsSealedAtStartAndLeavesNoCopyInTheFiles() throws Exception {
        serverWithWpConfig();
        ts.stopKeepingData();
        ts = null;
        // as a server before this one stored it: the file's bytes in plain text, then deleted rows leaving free pages
        try (Database db = Database.sqlite(dir.resolve("rollguard.db"))) {
            db.jdbi().useHandle(h -> {
                h.execute("PRAGMA secure_delete = OFF");
                h.createUpdate("UPDATE blobs SET data = :d, sealed = :f").bind("d", WP_CONFIG.getBytes(StandardCharsets.UTF_8)).bind("f", false).execute();
                h.createUpdate("INSERT INTO blobs (hash, size, data, sealed) VALUES ('x', 1, :d, :f)")
                        .bind("d", ("old " + WP_CONFIG).getBytes(StandardCharsets.UTF_8)).bind("f", false).execute();
                h.execute("DELETE FROM blobs WHERE hash = 'x'");
            });
        }
        assertThat(holding(dir, MARKER)).as("the plain text the old server left").isNotEmpty();
        ts = new TestServer(dir, 0);
        assertThat(holding(dir, MARKER)).as("after the first start with sealing").isEmpty();
        assertThat(ts.send("GET", "/api/v1/services/wp/versions/1/files/wp-config.php?unmasked=true", null).body()).isEqualTo(WP_CONFIG);
    }

    @Test
    void aPatternAddedLaterSealsTheFilesItMatches() throws Exception {
        ts = new TestServer();
        ok(ts.send("PUT", "/api/v1/services/wp", "{}"));
        ts.push(Map.of("app.conf", "shared_phrase = " + MARKER + "\n"), "first", null);
        assertThat(holding(ts.dir, MARKER)).as("no built-in pattern knows shared_phrase").isNotEmpty();
        ok(ts.send("PUT", "/api/v1/services/wp", "{\"secretPatterns\": [\"shared_phrase\\\\s*=\\\\s*(\\\\S+)\"]}"));
        assertThat(holding(ts.dir, MARKER)).isEmpty();
        assertThat(ts.send("GET", "/api/v1/services/wp/versions/1/files/app.conf", null).body()).isEqualTo("shared_phrase = ********\n");
    }

    @Test
    void rotatingTheKeySealsEverythingAgainWithTheNewKeyAndTheOldOneStaysToOpen() throws Exception {
        serverWithWpConfig();
        String before = ts.get("/api/v1/secrets").path("currentKey").asText();
        String viewer = viewer();
        assertThat(ts.send("POST", "/api/v1/secrets/rotate-key", "{}", viewer).status()).isEqualTo(403);

        JsonNode rotation = TestServer.json(ok(ts.send("POST", "/api/v1/secrets/rotate-key", "{}")));
        String after = rotation.path("keyId").asText();
        assertThat(after).isNotEqualTo(before);
        assertThat(rotation.path("keys").toString()).contains(before, after);
        assertThat(rotation.path("resealed").path("files").asInt()).isEqualTo(1);
        List<String> envelopes = ts.server.database().jdbi().withHandle(h -> h.createQuery("SELECT data FROM blobs WHERE sealed")
                .map((rs, ctx) -> new String(rs.getBytes(1), StandardCharsets.UTF_8)).list());
        assertThat(envelopes).hasSize(1).allSatisfy(e -> assertThat(Sealer.keyIdOf(e)).isEqualTo(after));
        JsonNode status = ts.get("/api/v1/secrets");
        assertThat(status.path("currentKey").asText()).isEqualTo(after);
        String ring = Files.readString(dir.resolve("rollguard.db.secrets-key"));
        assertThat(status.toString()).doesNotContain(ring.lines().filter(l -> l.startsWith(after)).findFirst().orElseThrow().split(" ")[1]);
        // who rotated, when: the audit log
        assertThat(ts.get("/api/v1/audit?limit=100").toString()).contains("POST /api/v1/secrets/rotate-key");

        ts.stopKeepingData();
        ts = new TestServer(dir, 0);
        assertThat(ts.send("GET", "/api/v1/services/wp/versions/1/files/wp-config.php?unmasked=true", null).body()).isEqualTo(WP_CONFIG);
        // the old key sealed nothing that remains: a leaked key's line may go, the start does not need it
        ts.stopKeepingData();
        ts = null;
        Files.writeString(dir.resolve("rollguard.db.secrets-key"), ring.lines().filter(l -> !l.startsWith(before)).reduce("", (a, b) -> a + b + "\n"));
        ts = new TestServer(dir, 0);
        assertThat(ts.send("GET", "/api/v1/services/wp/versions/1/files/wp-config.php?unmasked=true", null).body()).isEqualTo(WP_CONFIG);
        // but the current key is needed: without it, the start is refused naming it
        ts.stopKeepingData();
        ts = null;
        Files.writeString(dir.resolve("rollguard.db.secrets-key"), ring.lines().filter(l -> !l.startsWith(after)).reduce("", (a, b) -> a + b + "\n"));
        assertThatThrownBy(() -> new TestServer(dir, 0)).isInstanceOf(Problem.class).hasMessageContaining(after);
    }

    @Test
    void aSpecHoldingChannelSecretsRestsSealedAndReadsBackMasked() throws Exception {
        ts = new TestServer();
        String spec = "{\"incidents\": {\"channels\": [{\"name\": \"hook\", \"kind\": \"generic\", \"url\": \"https://ops:"
                + MARKER + "-url@127.0.0.1:9/hook\", \"secret\": \"" + MARKER + "-hmac\"},"
                + " {\"name\": \"pd\", \"kind\": \"pagerduty\", \"url\": \"https://events.pagerduty.com/v2/enqueue\", \"routingKey\": \""
                + MARKER + "-rk\"}]}}";
        ok(ts.send("PUT", "/api/v1/services/wp", spec));
        assertThat(holding(ts.dir, MARKER)).as("bytes of the data directory").isEmpty();
        String shown = ts.get("/api/v1/services/wp").toString();
        assertThat(shown).doesNotContain(MARKER).contains("https://ops:********@127.0.0.1:9/hook");
        // what the server itself uses: the real values
        var channels = ts.server.config().service("wp").incidents().channels();
        assertThat(channels.get(0).url()).contains(MARKER + "-url");
        assertThat(channels.get(0).secret()).isEqualTo(MARKER + "-hmac");
        assertThat(channels.get(1).routingKey()).isEqualTo(MARKER + "-rk");
        assertThat(ts.get("/api/v1/audit?limit=100").toString()).doesNotContain(MARKER);
    }
}
