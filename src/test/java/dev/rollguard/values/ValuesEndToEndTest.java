package dev.rollguard.values;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.agent.Agent;
import dev.rollguard.agent.AgentConfig;
import dev.rollguard.agent.HealthWindow;
import dev.rollguard.config.TreeLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Values through the real server and real agents: each host receives its own rendering; what cannot render is refused at push. */
class ValuesEndToEndTest {
    private static final String VALUES = """
            defaults:
              db_name: wordpress
              pool: 5
            environments:
              testing:
                db_host: db-test
              production:
                db_host: db-prod
                pool: 20
            hosts:
              web-2:
                pool: 40
            """;
    private static final String WP_CONFIG = """
            <?php
            define('DB_NAME', '{{db_name}}');
            define('DB_HOST', '{{db_host}}');
            // {{rollguard.service}} v{{rollguard.version}} for {{rollguard.host}} in {{rollguard.env}}
            """;
    private static final String TWIG = "<p>{{ post.title }}</p>\n";

    private final List<Agent> agents = new ArrayList<>();
    private TestServer ts;
    private Path dir;

    @AfterEach
    void cleanUp() {
        agents.forEach(Agent::close);
        if (ts != null) ts.close();
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    private void start() {
        dir = TestServer.tempDir();
        ts = new TestServer(dir.resolve("server"), 0);
        ok(ts.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"promotionBakeSeconds\": 0, \"waves\": [{\"hosts\": 1, \"bakeSeconds\": 0}, {\"percent\": 100, \"bakeSeconds\": 0}]}}"));
    }

    private Agent agent(String env, String host) {
        return agent(env, host, TestServer.ADMIN_TOKEN);
    }

    private Agent agent(String env, String host, String token) {
        Agent a = new Agent(new AgentConfig(List.of(ts.url()), "wp", env, host, dir.resolve(env + "-" + host), null, null, 3,
                Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(5), token),
                new HealthWindow(Instant.now()), Clock.systemUTC()).start();
        agents.add(a);
        return a;
    }

    private static TestServer.Response ok(TestServer.Response r) {
        assertThat(r.status()).as(r.body()).isBetween(200, 201);
        return r;
    }

    private TestServer.Response push(Map<String, String> files) {
        return ts.send("POST", "/api/v1/services/wp/versions", Json.write(Map.of("files", files, "message", "values")));
    }

    private static Map<String, String> tree(String values, String wpConfig) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(Values.PATH, values);
        files.put("wp-config.php.tmpl", wpConfig);
        files.put("themes/single.twig", TWIG);
        files.put("pool.json.tmpl", "{\"pool\": {{pool}}}\n");
        return files;
    }

    private void releaseAndAwait(String env, int version, Agent... hosts) {
        releaseAndAwait(ts, env, version, hosts);
    }

    /** Releases {@code version} of wp to {@code env} and waits for it to complete and for each of {@code hosts} to serve it. */
    static void releaseAndAwait(TestServer ts, String env, int version, Agent... hosts) {
        JsonNode rollout = ts.release(env, version, null);
        assertThat(ts.awaitTerminal(rollout.path("id").asText()).path("state").asText()).isEqualTo("COMPLETE");
        for (Agent a : hosts) await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(version).equals(a.appliedVersion()));
    }

    /** A file of the tree the agent serves. */
    static String live(Agent a, String path) throws Exception {
        return Files.readString(a.releases().current().resolve(path));
    }

    @Test
    void eachHostReceivesItsOwnRenderingAndUntemplatedFilesStayByteExact() throws Exception {
        start();
        Agent test1 = agent("testing", "web-1");
        Agent prod1 = agent("production", "web-1");
        Agent prod2 = agent("production", "web-2");
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/production/hosts").size() == 2
                && ts.get("/api/v1/services/wp/environments/testing/hosts").size() == 1);

        int v1 = TestServer.json(ok(push(tree(VALUES, WP_CONFIG)))).path("version").path("number").asInt();
        releaseAndAwait("testing", v1, test1);
        assertThat(live(test1, "wp-config.php")).contains("define('DB_HOST', 'db-test');", "// wp v" + v1 + " for web-1 in testing");
        assertThat(live(test1, "pool.json")).isEqualTo("{\"pool\": 5}\n");
        assertThat(live(test1, "themes/single.twig")).as("not a template: byte for byte").isEqualTo(TWIG);
        assertThat(test1.releases().current().resolve("wp-config.php.tmpl")).doesNotExist();
        assertThat(test1.releases().current().resolve(Values.PATH)).as("the values file stays on the server").doesNotExist();

        // the same version, promoted: production's hosts get production's values, web-2 its own
        releaseAndAwait("production", v1, prod1, prod2);
        assertThat(live(prod1, "wp-config.php")).contains("define('DB_HOST', 'db-prod');", "for web-1 in production");
        assertThat(live(prod1, "pool.json")).isEqualTo("{\"pool\": 20}\n");
        assertThat(live(prod2, "pool.json")).isEqualTo("{\"pool\": 40}\n");
        assertThat(live(prod2, "wp-config.php")).contains("for web-2 in production");

        // a value change is a new version; its diff shows the production lines it changes
        int v2 = TestServer.json(ok(push(tree(VALUES.replace("db_host: db-prod", "db_host: db-prod-2"), WP_CONFIG))))
                .path("version").path("number").asInt();
        JsonNode diff = ts.get("/api/v1/services/wp/diff?from=" + v1 + "&to=" + v2);
        assertThat(diff.path("files").get(0).path("path").asText()).isEqualTo(Values.PATH);
        assertThat(diff.path("renderings").path("testing")).isEmpty();
        assertThat(diff.path("renderings").path("production").get(0).path("unified").asText())
                .contains("-define('DB_HOST', 'db-prod');", "+define('DB_HOST', 'db-prod-2');");
    }

    @Test
    void whatCannotRenderOrBreaksARenderingIsRefusedAtPush() {
        start();
        // an undefined value, in production only: refused at push, naming file, line and rendering
        TestServer.Response undefined = push(tree(VALUES.replace("    db_host: db-prod\n", ""), WP_CONFIG));
        assertThat(undefined.status()).as(undefined.body()).isEqualTo(422);
        assertThat(TestServer.json(undefined).path("error").path("message").asText())
                .isEqualTo("wp-config.php.tmpl:3: no value 'db_host' (rendering for production)");

        TestServer.Response syntax = push(tree(VALUES, WP_CONFIG.replace("{{db_host}}", "{{#db_host}}")));
        assertThat(syntax.status()).isEqualTo(422);
        assertThat(TestServer.json(syntax).path("error").path("message").asText()).startsWith("wp-config.php.tmpl:").contains("template syntax");

        // a value that breaks the rendered file's syntax, in production only: the validators on that rendering catch it
        TestServer.Response broken = push(tree(VALUES.replace("pool: 20", "pool: twenty"), WP_CONFIG));
        assertThat(broken.status()).as(broken.body()).isEqualTo(422);
        JsonNode findings = TestServer.json(broken).path("error").path("report").path("findings");
        assertThat(findings).hasSize(1);
        assertThat(findings.get(0).path("path").asText()).isEqualTo("pool.json.tmpl");
        assertThat(findings.get(0).path("message").asText()).endsWith("(in production)");

        TestServer.Response malformed = push(tree("defaults: [db_host]\n", WP_CONFIG));
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(TestServer.json(malformed).path("error").path("message").asText())
                .isEqualTo(Values.PATH + ": defaults must map value names to values, not a list");
        TestServer.Response typo = push(tree(VALUES.replace("production:", "prod:"), WP_CONFIG));
        assertThat(typo.status()).isEqualTo(400);
        assertThat(TestServer.json(typo).path("error").path("message").asText()).contains("the service has no environment 'prod'");

        TestServer.Response plainSecret = push(tree(VALUES + "    db_password: {secret: hunter2}\n", WP_CONFIG));
        assertThat(plainSecret.status()).isEqualTo(400);
        assertThat(TestServer.json(plainSecret).path("error").path("code").asText()).isEqualTo("secret_not_sealed");
        assertThat(plainSecret.body()).doesNotContain("hunter2");

        assertThat(ts.get("/api/v1/services/wp/versions")).as("nothing was stored").isEmpty();
    }

    @Test
    void aSecretValueReachesOnlyTheEnrolledAgentWhilePeopleSeeItMasked() throws Exception {
        start();
        String password = "s3cret-" + System.nanoTime();
        String sealed = TestServer.json(ok(ts.send("POST", "/api/v1/services/wp/seal", Json.write(Map.of("value", password)))))
                .path("secret").asText();
        assertThat(sealed).startsWith("rg-sealed:v1:").doesNotContain(password);
        String token = TestServer.json(ok(ts.send("POST", "/api/v1/services/wp/environments/production/enrolments", "{\"host\": \"web-1\"}")))
                .path("token").asText();
        Agent test1 = agent("testing", "web-1");
        Agent prod1 = agent("production", "web-1", token);
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/production/hosts").size() == 1
                && ts.get("/api/v1/services/wp/environments/testing/hosts").size() == 1);

        String values = """
                defaults: {db_name: wordpress, db_host: db, pool: 5}
                environments:
                  testing: {db_password: test-only}
                  production:
                    db_password: {secret: "%s"}
                """.formatted(sealed);
        Map<String, String> files = tree(values, WP_CONFIG + "define('DB_PASSWORD', '{{db_password}}');\n");
        TestServer.Response pushed = ok(push(files));
        assertThat(pushed.body()).doesNotContain(password);
        int v = TestServer.json(pushed).path("version").path("number").asInt();
        releaseAndAwait("testing", v, test1);
        releaseAndAwait("production", v, prod1);
        assertThat(live(prod1, "wp-config.php")).contains("define('DB_PASSWORD', '" + password + "');");
        assertThat(live(test1, "wp-config.php")).contains("define('DB_PASSWORD', 'test-only');");

        // people, admins included, see the rendering with the secret masked
        String asAdmin = ok(ts.send("GET", "/api/v1/services/wp/versions/" + v + "/bundle?env=production&host=web-1", null)).body();
        String config = null;
        for (JsonNode e : Json.read(asAdmin, JsonNode.class).path("entries")) {
            if (e.path("path").asText().equals("wp-config.php")) {
                config = new String(Base64.getDecoder().decode(e.path("base64").asText()), StandardCharsets.UTF_8);
            }
        }
        assertThat(config).contains("define('DB_PASSWORD', '" + Templates.MASK + "');").doesNotContain(password);
        // an enrolled agent reads only its own host's rendering
        assertThat(ts.send("GET", "/api/v1/services/wp/versions/" + v + "/bundle?env=production&host=web-2", null, token).status()).isEqualTo(403);
    }
}
