package dev.rollguard.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.auth.Permission;
import dev.rollguard.auth.RateLimiter;
import dev.rollguard.auth.Role;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.validate.CommandValidators;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every route refuses strangers; every role is refused outside its rights; the audit log shows tampering; secrets stay masked. */
class AccessTest {
    private TestServer ts;
    private String rolloutId;
    private int incidentId;
    private int actionId;
    private final Map<Role, String> tokens = new LinkedHashMap<>();
    private String outsider;

    @BeforeEach
    void setUp() {
        ts = new TestServer();
        ok(ts.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"promotionBakeSeconds\": 0, \"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}]},"
                + " \"validation\": {\"riskRules\": [{\"id\": \"db\", \"pathGlob\": \"**\", \"lineRegex\": \"DB_PASSWORD\", \"reason\": \"credentials\"}]}}"));
        ok(ts.send("PUT", "/api/v1/services/other", "{}"));
        int v1 = ts.push(Map.of("wp-config.php", "<?php\ndefine( 'DB_PASSWORD', 'hunter2-very-secret' );\n"), "initial", null);
        rolloutId = ts.release("testing", v1, null).path("id").asText();
        incidentId = TestServer.json(ts.send("POST", "/api/v1/incidents", "{\"service\": \"wp\", \"title\": \"x\"}")).path("id").asInt();
        actionId = TestServer.json(ts.send("POST", "/api/v1/incidents/" + incidentId + "/actions", "{\"title\": \"y\"}")).path("id").asInt();
        for (Role r : Role.values()) tokens.put(r, user(r.name().toLowerCase() + "-user", "wp", r));
        outsider = user("outsider", "other", Role.ADMIN);
    }

    @AfterEach
    void cleanUp() {
        ts.close();
    }

    private String user(String name, String service, Role role) {
        ok(ts.send("POST", "/api/v1/users", "{\"name\": \"" + name + "\"}"));
        ok(ts.send("PUT", "/api/v1/users/" + name + "/roles", "{\"service\": \"" + service + "\", \"role\": \"" + role + "\"}"));
        return TestServer.json(ok(ts.send("POST", "/api/v1/tokens", "{\"user\": \"" + name + "\", \"name\": \"test\"}"))).path("token").asText();
    }

    private static TestServer.Response ok(TestServer.Response r) {
        assertThat(r.status()).as(r.body()).isBetween(200, 299);
        return r;
    }

    private String concrete(String path) {
        return path.replace("{service}", "wp").replace("{env}", "testing").replace("{host}", "h1").replace("{number}", "1")
                .replace("/api/v1/rollouts/{id}", "/api/v1/rollouts/" + rolloutId).replace("/rollouts/{id}", "/rollouts/" + rolloutId)
                .replace("/actions/{id}", "/actions/" + actionId).replace("{id}", String.valueOf(incidentId)).replace("{action}", "pause")
                .replace("{user}", "viewer-user").replace("{scope}", "wp").replace("{role}", "viewer").replace("<path>", "wp-config.php");
    }

    /** A raw request without following redirects (the dashboard redirects strangers to its sign-in page). */
    private int status(String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(ts.url() + path))
                .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}"))
                .header("Content-Type", "application/json");
        if (token != null) b.header("Authorization", "Bearer " + token);
        return HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build().send(b.build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    @Test
    void everyRouteButHealthAndMetricsRefusesStrangers() throws Exception {
        List<ApiServer.Route> routes = ts.server.routes();
        assertThat(routes).hasSizeGreaterThan(60);
        List<String> publicRoutes = new ArrayList<>();
        for (ApiServer.Route r : routes) {
            if (r.permission() == Permission.PUBLIC) {
                publicRoutes.add(r.method() + " " + r.path());
                continue;
            }
            String path = concrete(r.path());
            int anonymous = status(r.method(), path, null);
            boolean page = r.method().equals("GET") && !path.startsWith("/api/") && !path.startsWith("/ui/");
            assertThat(anonymous).as("anonymous " + r.method() + " " + path).isEqualTo(page ? 302 : 401);
            assertThat(status(r.method(), path, "rg_not-a-real-token-000000000000")).as("bad token " + r.method() + " " + path).isEqualTo(401);
        }
        assertThat(publicRoutes).containsExactlyInAnyOrder("GET /metrics", "GET /api/v1/health", "GET /login", "POST /login",
                "GET /ui/app.css", "GET /ui/app.js", "GET /webjars/htmx.org/2.0.4/dist/htmx.min.js",
                "GET /webjars/uplot/1.6.30/dist/uPlot.iife.min.js", "GET /webjars/uplot/1.6.30/dist/uPlot.min.css");
    }

    @Test
    void eachRoleIsRefusedOutsideItsRightsOnEveryRoute() throws Exception {
        for (Map.Entry<Role, String> e : tokens.entrySet()) {
            Role role = e.getKey();
            for (ApiServer.Route r : ts.server.routes()) {
                Permission p = r.permission();
                if (p == Permission.PUBLIC || p == Permission.AUTHENTICATED) continue;
                String path = concrete(r.path());
                String cell = role + " × " + r.method() + " " + path + " (" + p + ")";
                // routes that name no service (users, audit, ...) need the role on every service ("*")
                boolean scoped = r.path().contains("{service}") || r.path().contains("{id}");
                if (!role.grants(p) || !scoped) {
                    assertThat(status(r.method(), path, e.getValue())).as(cell).isEqualTo(403);
                } else if (r.method().equals("GET")) {
                    assertThat(status(r.method(), path, e.getValue())).as(cell).isNotIn(401, 403);
                }
            }
        }
        // a role on another service, even admin, gives nothing here
        for (ApiServer.Route r : ts.server.routes()) {
            if (r.permission() == Permission.PUBLIC || r.permission() == Permission.AUTHENTICATED) continue;
            String path = concrete(r.path());
            assertThat(status(r.method(), path, outsider)).as("outsider × " + r.method() + " " + path).isEqualTo(403);
        }
        // and what the roles may do, they can
        int v = TestServer.json(ok(ts.send("POST", "/api/v1/services/wp/versions", "{\"files\": {\"a.conf\": \"x\\n\"}, \"message\": \"m\"}",
                tokens.get(Role.EDITOR)))).path("version").path("number").asInt();
        ok(ts.send("POST", "/api/v1/services/wp/environments/testing/release", "{\"version\": " + v + "}", tokens.get(Role.RELEASER)));
        assertThat(ts.send("GET", "/api/v1/services", null, tokens.get(Role.VIEWER)).body()).contains("\"wp\"").doesNotContain("\"other\"");
    }

    @Test
    void highRiskVersionsNeedASecondPersonEvenWithBreakGlass() {
        String editor = tokens.get(Role.RELEASER);
        int v = TestServer.json(ok(ts.send("POST", "/api/v1/services/wp/versions",
                "{\"files\": {\"wp-config.php\": \"<?php\\ndefine( 'DB_PASSWORD', 'changed-secret' );\\n\"}, \"message\": \"rotate\"}", editor)))
                .path("version").path("number").asInt();
        ok(ts.send("POST", "/api/v1/services/wp/environments/testing/release", "{\"version\": " + v + "}", editor));
        TestServer.Response refused = ts.send("POST", "/api/v1/services/wp/environments/production/release",
                "{\"version\": " + v + ", \"breakGlass\": \"now\"}", editor);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.body()).contains("approval_required", "someone other than its author (releaser-user)");
        assertThat(ts.send("POST", "/api/v1/services/wp/versions/" + v + "/approve", "{}", tokens.get(Role.VIEWER)).status()).isEqualTo(403);
        ok(ts.send("POST", "/api/v1/services/wp/versions/" + v + "/approve", "{\"comment\": \"checked the vault\"}", tokens.get(Role.APPROVER)));
        ok(ts.send("POST", "/api/v1/services/wp/environments/production/release", "{\"version\": " + v + "}", editor));
    }

    @Test
    void agentsSpeakOnlyForTheirHost() {
        String h1 = TestServer.json(ok(ts.send("POST", "/api/v1/services/wp/environments/testing/enrolments", "{\"host\": \"h1\"}")))
                .path("token").asText();
        assertThat(ts.send("POST", "/api/v1/agents/register", "{\"service\": \"wp\", \"env\": \"testing\", \"host\": \"h1\"}", h1).status())
                .isEqualTo(200);
        assertThat(ts.send("POST", "/api/v1/agents/register", "{\"service\": \"wp\", \"env\": \"testing\", \"host\": \"h2\"}", h1).status())
                .isEqualTo(403);
        assertThat(ts.send("POST", "/api/v1/agents/wp/production/h1/report", "{\"appliedVersion\": 1}", h1).status()).isEqualTo(403);
        assertThat(ts.send("POST", "/api/v1/agents/wp/testing/h1/report", "{\"appliedVersion\": 1}", h1).status()).isEqualTo(200);
        TestServer.Response bundle = ts.send("GET", "/api/v1/services/wp/versions/1/bundle", null, h1);
        assertThat(bundle.status()).isEqualTo(200);
        assertThat(bundle.body()).as("agents get the real files (base64 in the bundle)")
                .contains(Base64.getEncoder().encodeToString(
                        "<?php\ndefine( 'DB_PASSWORD', 'hunter2-very-secret' );\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(ts.send("POST", "/api/v1/services/wp/environments/testing/release", "{\"version\": 1}", h1).status()).isEqualTo(403);
        assertThat(ts.send("GET", "/api/v1/services/other", null, h1).status()).isEqualTo(403);
        assertThat(ts.send("POST", "/api/v1/tokens", "{}", h1).status()).isEqualTo(403);
    }

    /** Issue 25.9: an unbound enrolment token of the environment cannot speak for a host that has its own credential. */
    @Test
    void anUnboundTokenCannotSpeakForAHostWithItsOwnCredential() {
        String h1 = TestServer.json(ok(ts.send("POST", "/api/v1/services/wp/environments/testing/enrolments", "{\"host\": \"h1\"}")))
                .path("token").asText();
        String fleet = TestServer.json(ok(ts.send("POST", "/api/v1/services/wp/environments/testing/enrolments", "{}"))).path("token").asText();
        ok(ts.send("POST", "/api/v1/agents/register", "{\"service\": \"wp\", \"env\": \"testing\", \"host\": \"h1\"}", h1));
        ok(ts.send("POST", "/api/v1/agents/register", "{\"service\": \"wp\", \"env\": \"testing\", \"host\": \"h2\"}", fleet));
        TestServer.Response report = ts.send("POST", "/api/v1/agents/wp/testing/h1/report", "{\"appliedVersion\": 1}", fleet);
        assertThat(report.status()).isEqualTo(403);
        assertThat(report.body()).contains("host_credential");
        assertThat(ts.send("GET", "/api/v1/agents/wp/testing/h1/desired?waitSeconds=0", null, fleet).status()).isEqualTo(403);
        assertThat(ts.send("POST", "/api/v1/agents/register", "{\"service\": \"wp\", \"env\": \"testing\", \"host\": \"h1\"}", fleet)
                .status()).isEqualTo(403);
        assertThat(ts.send("POST", "/api/v1/agents/wp/testing/h2/report", "{\"appliedVersion\": 1}", fleet).status()).isEqualTo(200);
        assertThat(ts.send("POST", "/api/v1/agents/wp/testing/h1/report", "{\"appliedVersion\": 1}", h1).status()).isEqualTo(200);
    }

    @Test
    void revokedTokensStopWorking() {
        String t = TestServer.json(ok(ts.send("POST", "/api/v1/tokens", "{\"name\": \"ci\", \"expiresInDays\": 30}"))).path("token").asText();
        JsonNode list = TestServer.json(ts.send("GET", "/api/v1/tokens", null));
        String id = null;
        for (JsonNode n : list) if ("ci".equals(n.path("name").asText())) id = n.path("id").asText();
        assertThat(list.toString()).doesNotContain(t);
        assertThat(ts.send("GET", "/api/v1/whoami", null, t).status()).isEqualTo(200);
        ok(ts.send("DELETE", "/api/v1/tokens/" + id, null));
        assertThat(ts.send("GET", "/api/v1/whoami", null, t).status()).isEqualTo(401);
    }

    /**
     * Each caller has a bucket of writes. The rate is the operator's ({@code --write-rate}, {@code --write-burst}); set to a
     * burst of 5 and one write in 1,000 s here, so the sixth write is refused however slowly a busy machine sends them (at
     * the default 20 a second, 90 writes could refill faster than a loaded machine completes them).
     */
    @Test
    void writesAreRateLimitedPerCaller() {
        try (TestServer limited = new TestServer(s -> s.withWriteRate(new RateLimiter.Rate(0.001, 5)))) {
            ok(limited.send("PUT", "/api/v1/services/wp", "{}"));
            ok(limited.send("POST", "/api/v1/users", "{\"name\": \"alice\"}"));
            ok(limited.send("PUT", "/api/v1/users/alice/roles", "{\"service\": \"wp\", \"role\": \"RELEASER\"}"));
            String alice = TestServer.json(ok(limited.send("POST", "/api/v1/tokens", "{\"user\": \"alice\", \"name\": \"t\"}"))).path("token").asText();
            ok(limited.send("POST", "/api/v1/incidents", "{\"service\": \"wp\", \"title\": \"fifth write\"}"));

            TestServer.Response sixth = limited.send("POST", "/api/v1/incidents", "{\"service\": \"wp\", \"title\": \"sixth write\"}");
            assertThat(sixth.status()).as(sixth.body()).isEqualTo(429);
            assertThat(sixth.body()).contains("too many writes from admin");
            assertThat(limited.send("GET", "/api/v1/whoami", null).status()).as("reads are not limited").isEqualTo(200);
            TestServer.Response other = limited.send("POST", "/api/v1/incidents", "{\"service\": \"wp\", \"title\": \"alice's first\"}", alice);
            assertThat(other.status()).as("another caller has a bucket of its own: " + other.body()).isBetween(200, 299);
        }
    }

    @Test
    void anEditedOrDeletedAuditRecordIsDetected() {
        JsonNode fine = TestServer.json(ts.send("GET", "/api/v1/audit/verify", null));
        assertThat(fine.path("ok").asBoolean()).isTrue();
        assertThat(fine.path("records").asLong()).isGreaterThan(10);
        String jsonl = ts.send("GET", "/api/v1/audit?format=jsonl", null).body();
        assertThat(jsonl.lines().count()).isEqualTo(fine.path("records").asLong());
        assertThat(jsonl).as("tokens never reach the audit log").doesNotContain(tokens.get(Role.VIEWER)).contains("\\\"token\\\":\\\"********\\\"");
        assertThat(jsonl).contains("PUT /api/v1/services/{service}", "\"actor\":\"admin\"");

        ts.server.database().jdbi().useHandle(h -> h.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3"));
        JsonNode edited = TestServer.json(ts.send("GET", "/api/v1/audit/verify", null));
        assertThat(edited.path("ok").asBoolean()).isFalse();
        assertThat(edited.path("firstBadSeq").asLong()).isEqualTo(3);
        assertThat(edited.path("problem").asText()).contains("changed");

        ts.server.database().jdbi().useHandle(h -> h.execute("DELETE FROM audit WHERE seq <= 3"));
        JsonNode deleted = TestServer.json(ts.send("GET", "/api/v1/audit/verify", null));
        assertThat(deleted.path("ok").asBoolean()).isFalse();
        assertThat(deleted.path("problem").asText()).contains("missing");
    }

    @Test
    void secretsAreMaskedWhereverPeopleLook() {
        int v2 = ts.push(Map.of("wp-config.php", "<?php\ndefine( 'DB_PASSWORD', 'rotated-new-secret' );\n"), "rotate", null);
        List<String> seen = List.of(
                ts.send("GET", "/api/v1/services/wp/diff?from=1&to=" + v2, null).body(),
                ts.send("GET", "/api/v1/services/wp/diff?from=1&to=" + v2 + "&format=unified", null).body(),
                ts.send("GET", "/api/v1/services/wp/versions/" + v2 + "/files/wp-config.php", null).body(),
                ts.send("GET", "/services/wp/versions/" + v2, null).body(),
                ts.send("GET", "/api/v1/audit?format=jsonl", null).body());
        for (String s : seen) assertThat(s).doesNotContain("hunter2-very-secret").doesNotContain("rotated-new-secret");
        assertThat(seen.get(1)).contains("define( 'DB_PASSWORD', '********' );");
        assertThat(ts.send("GET", "/api/v1/services/wp/versions/" + v2 + "/files/wp-config.php?unmasked=true", null).body())
                .contains("rotated-new-secret");
    }

    @Test
    void validatorOutputQuotingASecretIsMasked() {
        var grep = new ValidationSettings.CommandSpec("grep-check", List.of("sh", "-c", "grep -rn DB_PASSWORD \"$ROLLGUARD_TREE\"; exit 1"), null, null);
        try (TestServer operated = new TestServer(CommandValidators.of(List.of(grep)))) {
            String spec = "{\"environments\": [\"production\"], \"validation\": {\"phpLint\": false, \"commands\": [\"grep-check\"]}}";
            assertThat(operated.send("PUT", "/api/v1/services/vault", spec).status()).isEqualTo(200);
            String files = "{\"files\": {\"wp-config.php\": \"<?php\\ndefine( 'DB_PASSWORD', 'quoted-by-a-validator' );\\n\"}, \"message\": \"m\"}";
            TestServer.Response checked = operated.send("POST", "/api/v1/services/vault/validate", files);
            TestServer.Response refused = operated.send("POST", "/api/v1/services/vault/versions", files);
            assertThat(refused.status()).isEqualTo(422);
            for (TestServer.Response r : List.of(checked, refused)) {
                assertThat(r.body()).contains("grep-check", "DB_PASSWORD").doesNotContain("quoted-by-a-validator");
            }
        }
    }

    @Test
    void browserSessionsNeedTheCsrfTokenToWrite() throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(ts.url() + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("user=viewer-user&token=" + tokens.get(Role.VIEWER) + "&next=/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).isEqualTo(302);
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).contains("HttpOnly", "SameSite=Strict");
        String session = cookie.substring(0, cookie.indexOf(';'));
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(ts.url() + "/")).header("Cookie", session).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        String csrf = page.body().replaceAll("(?s).*<meta name=\"csrf-token\" content=\"([^\"]+)\".*", "$1");
        HttpResponse<String> noCsrf = http.send(HttpRequest.newBuilder(URI.create(ts.url() + "/logout")).header("Cookie", session)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noCsrf.statusCode()).isEqualTo(403);
        assertThat(noCsrf.body()).contains("csrf");
        HttpResponse<String> withCsrf = http.send(HttpRequest.newBuilder(URI.create(ts.url() + "/logout")).header("Cookie", session)
                .header("X-CSRF-Token", csrf).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(withCsrf.statusCode()).isEqualTo(302);
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create(ts.url() + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("user=admin&token=" + tokens.get(Role.VIEWER))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(Json.MAPPER.readTree(ts.send("GET", "/api/v1/whoami", null).body()).path("name").asText()).isEqualTo("admin");
    }
}
