package dev.rollguard.secrets;

import dev.rollguard.TestServer;
import dev.rollguard.cli.Main;
import dev.rollguard.client.ApiClient;
import dev.rollguard.config.TreeLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 22's Done-when: a secret marker pushed inside a file (WordPress's own wp-config-sample.php with the marker as its
 * DB_PASSWORD) is found by a byte search in no file under the server's data directory (the database, its WAL and
 * shared memory), in no line the server logged, in no backup made the documented way; a real agent of the service
 * receives it whole.
 */
class SecretsAtRestEndToEndTest {
    private static final String MARKER = "MARKER-e2e-51f0c7d2-pw";
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

        // a real agent of wp/testing, its tree outside the server's directory: the one place the plain text belongs
        Path target = dir.resolve("host");
        Process agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "dev.rollguard.cli.Main", "agent", "--server", url, "--token", TestServer.ADMIN_TOKEN,
                "-s", "wp", "-e", "testing", "--host-id", "h1", "--target", target.toString(), "--report-interval-ms", "200")
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
        processes.add(agent);
        await().atMost(TestServer.PATIENCE).ignoreExceptions()
                .until(() -> api.get("/api/v1/services/wp/environments/testing/hosts").toString().contains("\"h1\""));
        api.post("/api/v1/services/wp/environments/testing/release", Map.of("version", 1));
        Path delivered = target.resolve("current").resolve("wp-config.php");
        await().atMost(TestServer.PATIENCE).until(() -> Files.isRegularFile(delivered));
        assertThat(Files.readString(delivered)).isEqualTo(config);

        // where people look, meanwhile: the mask
        String shown = api.getText("/api/v1/services/wp/versions/1/files/wp-config.php");
        assertThat(shown).contains("define( 'DB_PASSWORD', '********' );").doesNotContain(MARKER);
        assertThat(api.getText("/api/v1/services/wp/diff?from=1&to=2&format=unified")).contains("DB_PASSWORD").doesNotContain(MARKER);
        assertThat(api.getText("/api/v1/audit?format=jsonl&limit=10000")).doesNotContain(MARKER);

        // a backup, the documented way, while the server runs
        Path backup = dir.resolve("backups").resolve("rollguard-backup.db");
        StringWriter out = new StringWriter();
        var cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        int exit = cli.execute("backup", "--db", data.resolve("rollguard.db").toString(), "--to", backup.toString());
        assertThat(exit).as(out.toString()).isZero();
        assertThat(Files.size(backup)).isPositive();

        assertThat(SecretFilesTest.holding(data, MARKER)).as("data directory and server log, server running").isEmpty();
        assertThat(SecretFilesTest.holding(backup.getParent(), MARKER)).as("the backup").isEmpty();
        assertThat(Files.readString(data.resolve("server.log"))).as("the server logged").isNotEmpty();
        server.destroy();
        server.waitFor(60, TimeUnit.SECONDS);
        assertThat(SecretFilesTest.holding(data, MARKER)).as("data directory and server log, server stopped").isEmpty();
        // the search would have found it: the agent's copy holds it
        assertThat(SecretFilesTest.holding(target, MARKER)).isNotEmpty();
    }
}
