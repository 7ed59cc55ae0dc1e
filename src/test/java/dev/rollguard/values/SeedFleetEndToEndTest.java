package dev.rollguard.values;

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
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.rollguard.values.ValuesEndToEndTest.live;
import static dev.rollguard.values.ValuesEndToEndTest.releaseAndAwait;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 22's fleet, the seed's own, through the real server and real agents: WordPress's database settings per
 * environment (db-test, db-prod) with production's password a sealed secret, an Apache vhost per host, a binary key that
 * arrives 0600 by its name alone, wp-config.php owned by the spec's rule written for the name it is rendered to. Each host
 * gets its own rendering; the password is in plain text on production's hosts and nowhere under the server's data
 * directory.
 */
class SeedFleetEndToEndTest {
    private static final String WP_CONFIG = """
            <?php
            define('DB_NAME', '{{db_name}}');
            define('DB_HOST', '{{db_host}}');
            define('DB_PASSWORD', '{{db_password}}');
            require_once __DIR__ . '/wp-settings.php';
            """;
    private static final String VHOST = """
            <VirtualHost *:80>
                ServerName {{rollguard.host}}.{{domain}}
                ServerAdmin {{admin}}
                DocumentRoot /srv/wordpress/current
            </VirtualHost>
            """;
    private static final String SPEC = """
            {"environments": ["testing", "production"],
             "rollout": {"promotionBakeSeconds": 0, "waves": [{"percent": 100, "bakeSeconds": 0}]},
             "ownership": [{"path": "wp-config.php", "owner": "root", "group": "www-data", "mode": "0640"},
                           {"path": "ssl/private", "dirMode": "0700"}]}
            """;

    private final List<Agent> agents = new ArrayList<>();
    private TestServer ts;
    private Path dir;

    @AfterEach
    void cleanUp() {
        agents.forEach(Agent::close);
        if (ts != null) ts.close();
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    private Agent agent(String env, String host) {
        TestServer.Response enrolled = ts.send("POST", "/api/v1/services/wp/environments/" + env + "/enrolments", "{\"host\": \"" + host + "\"}");
        assertThat(enrolled.status()).as(enrolled.body()).isBetween(200, 201);
        Agent a = new Agent(new AgentConfig(List.of(ts.url()), "wp", env, host, dir.resolve(env + "-" + host), null, null, 3,
                Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(5), TestServer.json(enrolled).path("token").asText()),
                new HealthWindow(Instant.now()), Clock.systemUTC()).start();
        agents.add(a);
        return a;
    }

    private static PosixFileAttributes attrs(Path p) throws Exception {
        return Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(attrs(p).permissions());
    }

    @Test
    void eachHostGetsItsOwnRenderingWithModesAndOwnersAndTheSecretOnlyThere() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "chown needs root");
        dir = TestServer.tempDir();
        Path data = dir.resolve("server");
        ts = new TestServer(data, 0);
        TestServer.Response spec = ts.send("PUT", "/api/v1/services/wp", SPEC);
        assertThat(spec.status()).as(spec.body()).isIn(200, 201);

        String password = "pw-" + Long.toHexString(new SecureRandom().nextLong()) + "-prod";
        String sealed = TestServer.json(ts.send("POST", "/api/v1/services/wp/seal", Json.write(Map.of("value", password)))).path("secret").asText();
        String values = """
                defaults: {db_name: wordpress, admin: webmaster@example.org}
                environments:
                  testing: {db_host: db-test, db_password: test-only, domain: test.example.org}
                  production:
                    db_host: db-prod
                    domain: example.org
                    db_password: {secret: "%s"}
                hosts:
                  web-1: {admin: oncall@example.org}
                """.formatted(sealed);
        byte[] key = new byte[48];
        new SecureRandom().nextBytes(key);
        key[0] = 0; // binary: no pattern could find a secret in it; its name alone makes it a key
        Map<String, String> files = new LinkedHashMap<>();
        files.put(Values.PATH, values);
        files.put("wp-config.php.tmpl", WP_CONFIG);
        files.put("wp-settings.php", "<?php\n");
        files.put("index.php", "<?php require __DIR__ . '/wp-config.php';\n");
        files.put("sites/wordpress.conf.tmpl", VHOST);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("files", files);
        body.put("entries", List.of(Map.of("path", "ssl/private/site.p12", "base64", Base64.getEncoder().encodeToString(key))));
        body.put("message", "the seed's fleet");

        Agent test1 = agent("testing", "web-1");
        Agent prod1 = agent("production", "web-1");
        Agent prod2 = agent("production", "web-2");
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/production/hosts").size() == 2
                && ts.get("/api/v1/services/wp/environments/testing/hosts").size() == 1);
        TestServer.Response pushed = ts.send("POST", "/api/v1/services/wp/versions", Json.write(body));
        assertThat(pushed.status()).as(pushed.body()).isBetween(200, 201);
        int v = TestServer.json(pushed).path("version").path("number").asInt();

        releaseAndAwait(ts, "testing", v, test1);
        releaseAndAwait(ts, "production", v, prod1, prod2);

        // each environment's database, each host's vhost, the password opened only for production's own agents
        assertThat(live(test1, "wp-config.php")).contains("define('DB_HOST', 'db-test');", "define('DB_PASSWORD', 'test-only');");
        for (Agent prod : List.of(prod1, prod2)) {
            assertThat(live(prod, "wp-config.php")).contains("define('DB_HOST', 'db-prod');", "define('DB_PASSWORD', '" + password + "');");
        }
        assertThat(live(test1, "sites/wordpress.conf")).contains("ServerName web-1.test.example.org", "ServerAdmin oncall@example.org");
        assertThat(live(prod1, "sites/wordpress.conf")).contains("ServerName web-1.example.org", "ServerAdmin oncall@example.org");
        assertThat(live(prod2, "sites/wordpress.conf")).contains("ServerName web-2.example.org", "ServerAdmin webmaster@example.org");

        for (Agent a : List.of(test1, prod1, prod2)) {
            Path current = a.releases().current();
            // the rule for wp-config.php holds for the template rendered to it
            assertThat(mode(current.resolve("wp-config.php"))).isEqualTo("rw-r-----");
            assertThat(attrs(current.resolve("wp-config.php")).owner().getName()).isEqualTo("root");
            assertThat(attrs(current.resolve("wp-config.php")).group().getName()).isEqualTo("www-data");
            // a key by its name, pushed without a mode: 0600, its bytes exact
            assertThat(mode(current.resolve("ssl/private/site.p12"))).isEqualTo("rw-------");
            assertThat(Files.readAllBytes(current.resolve("ssl/private/site.p12"))).isEqualTo(key);
            assertThat(mode(current.resolve("ssl/private"))).isEqualTo("rwx------");
            assertThat(mode(current.resolve("index.php"))).isEqualTo("rw-r--r--");
        }

        // at rest: the password nowhere under the server's data directory (database, WAL), the key's bytes neither
        byte[] needle = password.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> all = Files.walk(data)) {
            for (Path f : all.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(f);
                assertThat(indexOf(bytes, needle)).as("the password in " + f).isNegative();
                assertThat(indexOf(bytes, key)).as("the key's bytes in " + f).isNegative();
            }
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
