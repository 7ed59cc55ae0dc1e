package dev.rollguard.secrets;

import dev.rollguard.TestServer;
import dev.rollguard.cli.Main;
import dev.rollguard.client.ApiClient;
import dev.rollguard.config.TreeLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 22's Done-when: a secret marker pushed inside a file (WordPress's own wp-config-sample.php with the marker as its
 * DB_PASSWORD), one pushed as a plain value of rollguard.values.yaml and one pushed as a sealed value are found by a byte
 * search (as they are, and base64-encoded at any alignment) in no file under the server's data directory (the database,
 * its WAL and shared memory), in no line the server logged, in no backup made the documented way; a real agent enrolled
 * for its host receives each whole, rendered.
 */
class SecretsAtRestEndToEndTest {
    private static final String MARKER = "MARKER-e2e-51f0c7d2-pw";
    /** A value given in plain text in the values file (whose secret pattern then seals the whole file at rest). */
    private static final String VALUE_MARKER = "MARKER-e2e-value-8a41c3";
    /** A value pushed sealed ({@code rollguard seal}): the server holds only the envelope. */
    private static final String SEALED_MARKER = "MARKER-e2e-sealed-2d97be";
    private static final List<String> MARKERS = List.of(MARKER, VALUE_MARKER, SEALED_MARKER);
    private final List<Process> processes = new ArrayList<>();
    private Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    private static String wpConfig() throws Exception {
        String shipped = System.getenv("ROLLGUARD_WORDPRESS_DIR");
        Path sample = shipped == null ? null : Path.of(shipped, "wp-config-sample.php");
        String text = sample != null && Files.isRegularFile(sample) ? Files.readString(sample)
                : "<?php\ndefine( 'DB_NAME', 'database_name_here' );\ndefine( 'DB_PASSWORD', 'password_here' );\n";
        assertThat(text).contains("'password_here'");
        return text.replace("'password_here'", "'" + MARKER + "'");
    }

    @Test
    void aSecretInAFileRestsNowhereInPlainTextAndReachesTheAgentWhole() throws Exception {
        dir = TestServer.tempDir();
        Path data = Files.createDirectories(dir.resolve("server"));
        int port = TestServer.freePort();
        Process server = TestServer.startProcess(data, port);
        processes.add(server);
        String url = "http://127.0.0.1:" + port;
        ApiClient api = new ApiClient(url, null, TestServer.ADMIN_TOKEN);
        api.put("/api/v1/services/wp", Map.of("rollout", Map.of("waves", List.of(Map.of("percent", 100, "bakeSeconds", 0)))));
        String config = wpConfig();
        api.post("/api/v1/services/wp/versions", Map.of("files", Map.of("wp-config.php", config, "index.php", "<?php\n", "wp-settings.php", "<?php\n"), "message", "first"));
        api.post("/api/v1/services/wp/versions", Map.of("files", Map.of("wp-config.php", config.replace(MARKER, MARKER + "-next"),
                "index.php", "<?php\n", "wp-settings.php", "<?php\n"), "message", "new password"));
        // v3: the same file, and two values more: one given plainly, one sealed the documented way (rollguard seal's API)
        String sealed = api.post("/api/v1/services/wp/seal", Map.of("value", SEALED_MARKER)).path("secret").asText();
        assertThat(sealed).startsWith("rg-sealed:v1:");
        String values = "defaults:\n  api_token: " + VALUE_MARKER + "\n  db_password: {secret: \"" + sealed + "\"}\n";
        String template = "<?php\ndefine('API_TOKEN', '{{api_token}}');\ndefine('DB_PASSWORD', '{{db_password}}');\n";
        api.post("/api/v1/services/wp/versions", Map.of("files", Map.of("wp-config.php", config, "index.php", "<?php\n", "wp-settings.php", "<?php\n",
                "rollguard.values.yaml", values, "credentials.php.tmpl", template), "message", "values"));

        // a real agent of wp/testing enrolled for its host, its tree outside the server's directory: the one place the
        // plain text belongs
        String token = api.post("/api/v1/services/wp/environments/testing/enrolments", Map.of("host", "h1")).path("token").asText();
        Path target = dir.resolve("host");
        Process agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "dev.rollguard.cli.Main", "agent", "--server", url, "--token", token,
                "-s", "wp", "-e", "testing", "--host-id", "h1", "--target", target.toString(), "--report-interval-ms", "200")
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
        processes.add(agent);
        await().atMost(TestServer.PATIENCE).ignoreExceptions()
                .until(() -> api.get("/api/v1/services/wp/environments/testing/hosts").toString().contains("\"h1\""));
        api.post("/api/v1/services/wp/environments/testing/release", Map.of("version", 3));
        Path delivered = target.resolve("current").resolve("wp-config.php");
        Path rendered = target.resolve("current").resolve("credentials.php");
        await().atMost(TestServer.PATIENCE).until(() -> Files.isRegularFile(rendered));
        assertThat(Files.readString(delivered)).isEqualTo(config);
        assertThat(Files.readString(rendered)).isEqualTo(template.replace("{{api_token}}", VALUE_MARKER).replace("{{db_password}}", SEALED_MARKER));

        // where people look, meanwhile: the mask
        String shown = api.getText("/api/v1/services/wp/versions/1/files/wp-config.php");
        assertThat(shown).contains("define( 'DB_PASSWORD', '********' );").doesNotContain(MARKER);
        assertThat(api.getText("/api/v1/services/wp/diff?from=1&to=2&format=unified")).contains("DB_PASSWORD").doesNotContain(MARKER);
        assertThat(api.getText("/api/v1/services/wp/versions/3/files/rollguard.values.yaml")).contains("api_token: ********").doesNotContain(VALUE_MARKER);
        String asAdmin = api.getText("/api/v1/services/wp/versions/3/bundle?env=testing&host=h1");
        String diff = api.getText("/api/v1/services/wp/diff?from=2&to=3");
        String audit = api.getText("/api/v1/audit?format=jsonl&limit=10000");
        // an admin's bundle carries files whole (what an agent run with an admin token applies), secret values masked
        for (byte[] form : forms(SEALED_MARKER)) assertThat(asAdmin).doesNotContain(new String(form, StandardCharsets.US_ASCII));
        assertThat(asAdmin).contains(Base64.getEncoder().encodeToString(template.replace("{{api_token}}", VALUE_MARKER)
                .replace("{{db_password}}", "********").getBytes(StandardCharsets.UTF_8)));
        for (String marker : MARKERS) {
            assertThat(diff).as("the diff v2 → v3 with its renderings").doesNotContain(marker);
            assertThat(audit).as("the audit log").doesNotContain(marker);
        }

        // a backup, the documented way, while the server runs
        Path backup = dir.resolve("backups").resolve("rollguard-backup.db");
        StringWriter out = new StringWriter();
        var cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        int exit = cli.execute("backup", "--db", data.resolve("rollguard.db").toString(), "--to", backup.toString());
        assertThat(exit).as(out.toString()).isZero();
        assertThat(Files.size(backup)).isPositive();

        for (String marker : MARKERS) {
            assertThat(holding(data, marker)).as("data directory and server log, server running: " + marker).isEmpty();
            assertThat(holding(backup.getParent(), marker)).as("the backup: " + marker).isEmpty();
        }
        assertThat(Files.readString(data.resolve("server.log"))).as("the server logged").isNotEmpty();
        server.destroy();
        server.waitFor(60, TimeUnit.SECONDS);
        for (String marker : MARKERS) {
            assertThat(holding(data, marker)).as("data directory and server log, server stopped: " + marker).isEmpty();
            // the search would have found it: the agent's copy holds it
            assertThat(holding(target, marker)).as("the host's tree: " + marker).isNotEmpty();
        }
    }

    /** Files under {@code dir} holding {@code marker} as it is or base64-encoded (as JSON carries bytes) at any alignment. */
    static List<Path> holding(Path dir, String marker) throws Exception {
        List<Path> found = new ArrayList<>();
        for (byte[] needle : forms(marker)) {
            for (Path f : SecretFilesTest.holding(dir, new String(needle, StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1)) {
                if (!found.contains(f)) found.add(f);
            }
        }
        return found;
    }

    /** The marker's bytes, and the part of its base64 that depends only on it, for each of the three alignments. */
    static List<byte[]> forms(String marker) {
        byte[] bytes = marker.getBytes(StandardCharsets.UTF_8);
        List<byte[]> forms = new ArrayList<>(List.of(bytes));
        for (int pad = 0; pad < 3; pad++) {
            byte[] padded = new byte[pad + bytes.length];
            System.arraycopy(bytes, 0, padded, pad, bytes.length);
            String b64 = Base64.getEncoder().withoutPadding().encodeToString(padded);
            // a group of 3 bytes is 4 characters: drop the first group if it holds padding, the last if it is partial
            int from = pad == 0 ? 0 : 4;
            int to = padded.length % 3 == 0 ? b64.length() : b64.length() - (padded.length % 3 + 1);
            forms.add(b64.substring(from, to).getBytes(StandardCharsets.US_ASCII));
        }
        return forms;
    }

    @Test
    void theSearchFindsAMarkerInAnyBase64Alignment() {
        for (int pad = 0; pad < 3; pad++) {
            String carried = Base64.getEncoder().encodeToString(("x".repeat(pad) + VALUE_MARKER + "y").getBytes(StandardCharsets.UTF_8));
            assertThat(forms(VALUE_MARKER).stream().anyMatch(f -> carried.contains(new String(f, StandardCharsets.US_ASCII))))
                    .as("alignment " + pad).isTrue();
        }
    }
}
