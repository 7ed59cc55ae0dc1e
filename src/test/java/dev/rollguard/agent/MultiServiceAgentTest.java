package dev.rollguard.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.cli.Main;
import dev.rollguard.config.TreeLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 22 item 5: one agent process serves two services of a host (Apache's config and PHP-FPM's, say), each with its
 * own target directory and reload hook, the second given in an argument file as the Debian package's unit passes it;
 * releases of both converge.
 */
class MultiServiceAgentTest {
    private final List<Process> processes = new ArrayList<>();
    private TestServer ts;
    private Path dir;

    @AfterEach
    void cleanUp() {
        processes.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
        if (ts != null) ts.close();
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    private void service(String name) {
        TestServer.Response r = ts.send("PUT", "/api/v1/services/" + name, "{\"rollout\": {\"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}]}}");
        assertThat(r.status()).as(r.body()).isIn(200, 201);
    }

    private int push(String service, Map<String, String> files) {
        TestServer.Response r = ts.send("POST", "/api/v1/services/" + service + "/versions", Json.write(Map.of("files", files, "message", "m")));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return TestServer.json(r).path("version").path("number").asInt();
    }

    private void release(String service, int version) {
        // the previous rollout completes a moment after the host's report
        await().atMost(TestServer.PATIENCE).until(() -> !ts.send("GET", "/api/v1/services/" + service + "/rollouts", null).body()
                .contains("\"state\":\"RUNNING\""));
        TestServer.Response r = ts.send("POST", "/api/v1/services/" + service + "/environments/testing/release", "{\"version\": " + version + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    private boolean hostOf(String service, int applied) {
        JsonNode hosts = ts.get("/api/v1/services/" + service + "/environments/testing/hosts");
        for (JsonNode h : hosts) if (h.path("host").asText().equals("web-1") && h.path("appliedVersion").asInt(-1) == applied) return true;
        return false;
    }

    @Test
    void oneProcessServesTwoServicesEachWithItsTargetAndHooks() throws Exception {
        dir = TestServer.tempDir();
        ts = new TestServer(dir.resolve("server"), 0);
        service("apache");
        service("php-fpm");
        Path apache = dir.resolve("etc-apache2");
        Path fpm = dir.resolve("etc-php-fpm");
        Path args = dir.resolve("agent.args");
        // the second service as an argument file holds it: one option (and its value) per line, quoted where it has spaces
        Files.writeString(args, "--service php-fpm\n--env testing\n--target " + fpm + "\n"
                + "--reload \"echo $ROLLGUARD_VERSION > " + dir.resolve("fpm-reloaded") + "\"\n");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                "dev.rollguard.cli.Main", "agent", "--server", ts.url(), "--host-id", "web-1", "--report-interval-ms", "200",
                "--service", "apache", "--env", "testing", "--target", apache.toString(), "--token", TestServer.ADMIN_TOKEN,
                "--pre-apply", "test -f \"$ROLLGUARD_RELEASE_DIR/ports.txt\"",
                "--reload", "echo $ROLLGUARD_VERSION > " + dir.resolve("apache-reloaded"), "@" + args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile());
        // the file's group has no --token: it takes ROLLGUARD_AGENT_TOKEN, as the packaged agent's do
        pb.environment().put("ROLLGUARD_AGENT_TOKEN", TestServer.ADMIN_TOKEN);
        Process p = pb.start();
        processes.add(p);
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/apache/environments/testing/hosts").size() == 1
                && ts.get("/api/v1/services/php-fpm/environments/testing/hosts").size() == 1);

        int a1 = push("apache", Map.of("ports.txt", "Listen 80\n"));
        int f1 = push("php-fpm", Map.of("php-fpm.conf", fpmConf(2)));
        release("apache", a1);
        release("php-fpm", f1);
        await().atMost(TestServer.PATIENCE).until(() -> hostOf("apache", a1) && hostOf("php-fpm", f1));
        assertThat(Files.readString(apache.resolve("current/ports.txt"))).isEqualTo("Listen 80\n");
        assertThat(Files.readString(fpm.resolve("current/php-fpm.conf"))).startsWith("[global]");
        assertThat(Files.readString(dir.resolve("apache-reloaded")).strip()).isEqualTo("1");
        assertThat(Files.readString(dir.resolve("fpm-reloaded")).strip()).isEqualTo("1");
        // each service's hooks are its own: the apache pre-apply refuses a tree without ports.txt, php-fpm's tree is not asked
        int a2 = push("apache", Map.of("ports-typo.txt", "Listen 80\n"));
        release("apache", a2);
        int f2 = push("php-fpm", Map.of("php-fpm.conf", fpmConf(4)));
        release("php-fpm", f2);
        await().atMost(TestServer.PATIENCE).until(() -> hostOf("php-fpm", f2));
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/apache/environments/testing/hosts").toString()
                .contains("pre-apply hook failed"));
        assertThat(hostOf("apache", a1)).isTrue();
        assertThat(p.isAlive()).isTrue();
    }

    /** A config php-fpm itself accepts (its checker runs on every push): a global section and one pool. */
    private static String fpmConf(int children) {
        return "[global]\npid = /run/php/php8.2-fpm.pid\n\n[www]\nlisten = /run/php/php8.2-fpm.sock\npm = static\npm.max_children = "
                + children + "\n";
    }

    @Test
    void twoGroupsOnOneTargetAreAUsageError() {
        CommandLine cli = Main.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("agent", "--server", "http://127.0.0.1:1", "--host-id", "h", "--service", "a", "-e", "testing", "--target", "/tmp/x",
                "--service", "b", "-e", "testing", "--target", "/tmp/x");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--target /tmp/x is given to two services");
    }
}
