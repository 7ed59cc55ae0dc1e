package dev.rollguard;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 25 (packaging): a server where bubblewrap cannot run refuses to start with the reason and the way out; started
 * with {@code --without-sandbox} it runs, and says so in the audit log.
 */
class SandboxRequiredTest {
    private Process server;

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The server in a JVM of its own whose PATH holds no bwrap (nor anything else). */
    private Process start(Path dir, int port, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.rollguard.cli.Main", "server", "--db",
                dir.resolve("rollguard.db").toString(), "--port", String.valueOf(port), "--channel-port", "0"));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile());
        Path empty = Files.createDirectories(dir.resolve("empty-path"));
        pb.environment().put("PATH", empty.toString());
        pb.environment().put("ROLLGUARD_BOOTSTRAP_TOKEN", TestServer.ADMIN_TOKEN);
        pb.environment().remove("ROLLGUARD_WITHOUT_SANDBOX");
        return pb.start();
    }

    @Test
    void withoutBubblewrapTheServerRefusesToStartUnlessToldAndThenAuditsIt() throws Exception {
        // the refusal needs a machine where bwrap lives only where PATH points (Debian: /usr/bin)
        Parts.need("SANDBOX", Files.isExecutable(Path.of("/usr/bin/bwrap")), "bubblewrap is not installed");
        Path dir = TestServer.tempDir();
        int port = TestServer.freePort();
        Process refused = start(dir, port);
        assertThat(refused.waitFor(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(refused.exitValue()).isNotZero();
        String log = Files.readString(dir.resolve("server.log"));
        assertThat(log).contains("refusing to start: bubblewrap (bwrap) is not installed", "--without-sandbox", "[sandbox_unavailable]");
        assertThat(dir.resolve("rollguard.db")).as("nothing opened or created").doesNotExist();

        server = start(dir, port, "--without-sandbox");
        HttpClient http = HttpClient.newHttpClient();
        URI audit = URI.create("http://127.0.0.1:" + port + "/api/v1/audit");
        Awaitility.await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                http.send(HttpRequest.newBuilder(audit).header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        String records = http.send(HttpRequest.newBuilder(audit).header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(records).contains("START --without-sandbox", "bubblewrap (bwrap) is not installed");
    }
}
