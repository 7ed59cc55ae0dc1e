package dev.rollguard.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.config.Hashing;
import dev.rollguard.config.Limits;
import dev.rollguard.sim.WordPressLikeTree;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfigApiTest {
    private TestServer ts;

    @BeforeAll
    void start() {
        ts = new TestServer(new Limits(64 * 1024, 2000, 8L * 1024 * 1024), 4L * 1024 * 1024);
        assertThat(ts.send("PUT", "/api/v1/services/wordpress-api", "{\"environments\": [\"testing\", \"production\"], \"rollout\": {\"promotionBakeSeconds\": 0}}").status())
                .isEqualTo(200);
    }

    @AfterAll
    void stop() {
        ts.close();
    }

    private static String push(Map<String, String> files, String message, String breakGlass) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("files", files);
        body.put("author", "alice");
        body.put("message", message);
        if (breakGlass != null) body.put("breakGlass", breakGlass);
        return Json.write(body);
    }

    private static JsonNode json(TestServer.Response r) {
        try {
            return Json.MAPPER.readTree(r.body());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    private void assertError(TestServer.Response r, int status, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode e = json(r).path("error");
        assertThat(e.path("code").asText()).isEqualTo(code);
        assertThat(e.path("message").asText()).isNotBlank();
    }

    @Test
    void pushValidateDiffReleaseAndFix() {
        Map<String, String> good = WordPressLikeTree.generate(300, 3);
        TestServer.Response first = ts.send("POST", "/api/v1/services/wordpress-api/versions", push(good, "initial", null));
        assertThat(first.status()).as(first.body()).isEqualTo(201);
        int v1 = json(first).path("version").path("number").asInt();

        // the seed's typo: refused with the findings, nothing stored
        Map<String, String> typo = WordPressLikeTree.withTypo(good);
        TestServer.Response refused = ts.send("POST", "/api/v1/services/wordpress-api/versions", push(typo, "typo", null));
        assertError(refused, 422, "validation_failed");
        JsonNode findings = json(refused).path("error").path("report").path("findings");
        assertThat(findings).anySatisfy(f -> {
            assertThat(f.path("path").asText()).isEqualTo("wp-settings.php");
            assertThat(f.path("suggestion").asText()).isEqualTo("did you mean '.php'?");
            assertThat(f.path("line").asInt()).isPositive();
        });
        assertThat(json(ts.send("GET", "/api/v1/services/wordpress-api/versions", null))).hasSize(1);

        // identical tree: clear conflict
        assertError(ts.send("POST", "/api/v1/services/wordpress-api/versions", push(good, "again", null)), 409, "no_changes");

        // break-glass stores it, with the reason and the bypassed findings
        TestServer.Response forced = ts.send("POST", "/api/v1/services/wordpress-api/versions", push(typo, "typo", "hotfix at 5:45"));
        assertThat(forced.status()).isEqualTo(201);
        JsonNode v2 = json(forced).path("version");
        assertThat(v2.path("breakGlass").asText()).isEqualTo("hotfix at 5:45");
        assertThat(v2.path("releasable").asBoolean()).isFalse();
        int n2 = v2.path("number").asInt();

        String diff = ts.send("GET", "/api/v1/services/wordpress-api/diff?from=" + v1 + "&to=" + n2 + "&format=unified", null).body();
        assertThat(diff).contains("--- v1/wp-settings.php", "+require ABSPATH . WPINC . '/class-wp-hook.phpp';");
        JsonNode jdiff = json(ts.send("GET", "/api/v1/services/wordpress-api/diff?from=1&to=" + n2, null));
        assertThat(jdiff.path("files")).singleElement().satisfies(f -> assertThat(f.path("status").asText()).isEqualTo("MODIFIED"));

        // promotion order: production refuses what testing never saw
        assertError(ts.send("POST", "/api/v1/services/wordpress-api/environments/production/release", "{\"version\": " + v1 + "}"),
                409, "promotion_order");
        assertThat(ts.send("POST", "/api/v1/services/wordpress-api/environments/testing/release", "{\"version\": " + v1 + "}").status())
                .isEqualTo(201);
        assertThat(ts.send("POST", "/api/v1/services/wordpress-api/environments/production/release", "{\"version\": " + v1 + "}").status())
                .isEqualTo(201);
        JsonNode envs = json(ts.send("GET", "/api/v1/services/wordpress-api/environments", null));
        assertThat(envs.get(1).path("releasedVersion").asInt()).isEqualTo(v1);

        // fix: every occurrence, as a new version whose parent is the broken one
        TestServer.Response fixed = ts.send("POST", "/api/v1/services/wordpress-api/versions/" + n2 + "/fix", "{\"author\": \"bob\"}");
        assertThat(fixed.status()).as(fixed.body()).isEqualTo(201);
        JsonNode v3 = json(fixed).path("version");
        assertThat(v3.path("parent").asInt()).isEqualTo(n2);
        assertThat(v3.path("releasable").asBoolean()).isTrue();
        assertThat(v3.path("message").asText()).contains("'.phpp' -> '.php'");
        String settings = ts.send("GET", "/api/v1/services/wordpress-api/versions/" + v3.path("number").asInt()
                + "/files/wp-settings.php", null).body();
        assertThat(settings).doesNotContain(".phpp").contains("/class-wp-hook.php';");

        JsonNode bundle = json(ts.send("GET", "/api/v1/services/wordpress-api/versions/" + v1 + "/bundle", null));
        assertThat(bundle.path("entries").size()).isEqualTo(good.size());
    }

    private static Map<String, Object> fileEntry(String path, byte[] bytes) {
        return Map.of("path", path, "base64", Base64.getEncoder().encodeToString(bytes), "sha256", Hashing.sha256(bytes));
    }

    private int pushEntries(String service, List<Map<String, Object>> entries, String message) {
        TestServer.Response r = ts.send("POST", "/api/v1/services/" + service + "/versions",
                Json.write(Map.of("entries", entries, "message", message)));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return json(r).path("version").path("number").asInt();
    }

    @Test
    void binaryFilesAndLinksAreVersionedDiffedAndShownNeverDumped() {
        assertThat(ts.send("PUT", "/api/v1/services/docroot", "{}").status()).isEqualTo(200);
        byte[] gif1 = {'G', 'I', 'F', '8', '9', 'a', 0, 1, 2, (byte) 0xff};
        byte[] gif2 = {'G', 'I', 'F', '8', '9', 'a', 0, 1, 3, (byte) 0xfe, 0};
        byte[] index = "<?php\nrequire 'wp-config.php';\n".getBytes(StandardCharsets.UTF_8);
        int v1 = pushEntries("docroot", List.of(fileEntry("img/logo.gif", gif1), fileEntry("index.php", index),
                Map.of("path", "wp-config.php", "link", "/etc/wordpress/wp-config.php"),
                Map.of("path", "home.php", "link", "index.php")), "v1");
        int v2 = pushEntries("docroot", List.of(fileEntry("img/logo.gif", gif2), fileEntry("index.php", index),
                Map.of("path", "wp-config.php", "link", "/etc/wordpress/wp-config.php"),
                fileEntry("home.php", "<?php\n".getBytes(StandardCharsets.UTF_8))), "v2");

        JsonNode bundle = json(ts.send("GET", "/api/v1/services/docroot/versions/" + v2 + "/bundle", null));
        Map<String, JsonNode> byPath = new HashMap<>();
        bundle.path("entries").forEach(e -> byPath.put(e.path("path").asText(), e));
        assertThat(Base64.getDecoder().decode(byPath.get("img/logo.gif").path("base64").asText())).isEqualTo(gif2);
        assertThat(byPath.get("img/logo.gif").path("sha256").asText()).isEqualTo(Hashing.sha256(gif2));
        assertThat(byPath.get("wp-config.php").path("link").asText()).isEqualTo("/etc/wordpress/wp-config.php");
        assertThat(byPath.get("wp-config.php").has("base64")).isFalse();

        String view = ts.send("GET", "/api/v1/services/docroot/versions/" + v2 + "/files/img/logo.gif", null).body();
        assertThat(view).isEqualTo("binary, 11 bytes, sha256 " + Hashing.sha256(gif2) + "\n");
        assertThat(ts.send("GET", "/api/v1/services/docroot/versions/" + v1 + "/files/home.php", null).body())
                .isEqualTo("symlink -> index.php\n");

        String unified = ts.send("GET", "/api/v1/services/docroot/diff?from=" + v1 + "&to=" + v2 + "&format=unified", null).body();
        assertThat(unified).contains("Binary files v" + v1 + "/img/logo.gif and v" + v2 + "/img/logo.gif differ")
                .contains("old: binary, 10 bytes, sha256 " + Hashing.sha256(gif1))
                .contains("new: binary, 11 bytes, sha256 " + Hashing.sha256(gif2))
                .contains("-symlink -> index.php").contains("+<?php")
                .doesNotContain("GIF89a");
        JsonNode diff = json(ts.send("GET", "/api/v1/services/docroot/diff?from=" + v1 + "&to=" + v2, null));
        assertThat(diff.path("files")).extracting(f -> f.path("path").asText()).containsExactly("home.php", "img/logo.gif");

        // the notice for the link out of the tree is kept with the version
        JsonNode version = json(ts.send("GET", "/api/v1/services/docroot/versions/" + v1, null));
        assertThat(version.path("version").path("report").path("notices").toString())
                .contains("symlink wp-config.php -> /etc/wordpress/wp-config.php points outside the tree");
        assertThat(version.path("links").path("home.php").asText()).isEqualTo("index.php");
    }

    @Test
    void badInputGetsClearErrors() {
        String base = "/api/v1/services/wordpress-api/versions";
        assertError(ts.send("POST", "/api/v1/services/nope/versions", push(Map.of("a", "b"), "m", null)), 404, "unknown_service");
        assertError(ts.send("POST", base, "{\"files\": {\"a\": "), 400, "malformed_json");
        assertError(ts.send("POST", base, "[1, 2]"), 400, "invalid_request");
        assertError(ts.send("POST", base, "{\"files\": [\"a\"], \"message\": \"m\"}"), 400, "invalid_request");
        assertError(ts.send("POST", base, "{\"message\": \"m\"}"), 400, "missing_files");
        assertError(ts.send("POST", base, ""), 400, "missing_body");
        assertError(ts.send("POST", base, push(Map.of("x.conf", "a"), " ", null)), 400, "missing_message");
        assertError(ts.send("POST", base, push(Map.of("../../etc/passwd", "root"), "m", null)), 400, "path_traversal");
        assertError(ts.send("POST", base, push(Map.of("/etc/passwd", "root"), "m", null)), 400, "path_traversal");
        assertError(ts.send("POST", base, "{\"entries\": [{\"path\": \"a\"}], \"message\": \"m\"}"), 400, "invalid_entry");
        assertError(ts.send("POST", base, "{\"entries\": [{\"path\": \"a\", \"base64\": \"!!\"}], \"message\": \"m\"}"), 400, "invalid_entry");
        assertError(ts.send("POST", base, "{\"entries\": [{\"path\": \"a\", \"base64\": \"eA==\", \"sha256\": \"00\"}], "
                + "\"message\": \"m\"}"), 400, "hash_mismatch");
        assertError(ts.send("POST", base, "{\"entries\": [{\"path\": \"a\", \"link\": \"\"}], \"message\": \"m\"}"), 400, "invalid_link");
        assertError(ts.send("POST", base, "{\"entries\": [{\"path\": \"big.bin\", \"base64\": \"" + "A".repeat(96 * 1024)
                + "\"}], \"message\": \"m\"}"), 413, "file_too_large");
        assertError(ts.send("POST", base, push(Map.of("big.conf", "x".repeat(70 * 1024)), "m", null)), 413, "file_too_large");
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 2001; i++) many.put("f" + i + ".conf", "x");
        assertError(ts.send("POST", base, push(many, "m", null)), 413, "too_many_files");
        assertError(ts.send("POST", base, "{\"files\": {\"a\": \"" + "y".repeat(5 * 1024 * 1024) + "\"}}"), 413, "request_too_large");
        assertError(ts.send("POST", base, push(Map.of("a.conf", "x"), "m", "  ")), 400, "break_glass_reason_required");
        assertError(ts.send("GET", "/api/v1/services/wordpress-api/versions/999", null), 404, "unknown_version");
        assertError(ts.send("GET", "/api/v1/services/wordpress-api/versions/abc", null), 400, "invalid_parameter");
        assertError(ts.send("GET", "/api/v1/nothing-here", null), 404, "not_found");
        assertError(ts.send("PUT", "/api/v1/services/Bad%20Name", "{}"), 400, "invalid_name");
        assertError(ts.send("PUT", "/api/v1/services/x", "{\"environments\": [\"a\", \"a\"]}"), 400, "invalid_spec");
        assertError(ts.send("POST", "/api/v1/services/wordpress-api/environments/staging/release", "{\"version\": 1}"), 404,
                "unknown_environment");
        // the server is still healthy and nothing half-stored
        assertThat(ts.send("GET", "/api/v1/health", null).status()).isEqualTo(200);
    }

    @Test
    void metricsAreExposed() {
        ts.send("GET", "/api/v1/health", null);
        assertThat(ts.send("GET", "/metrics", null).body()).contains("rollguard_http_requests_seconds_count");
    }
}
