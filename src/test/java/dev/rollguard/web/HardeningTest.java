package dev.rollguard.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.auth.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Issue 13's reproductions over HTTP, each pinned: they failed on the code before the fix. */
class HardeningTest {
    private TestServer ts;
    private final HttpClient noRedirects = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeEach
    void setUp() {
        ts = new TestServer();
        ok(ts.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"promotionBakeSeconds\": 0, \"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}]},"
                + " \"validation\": {\"riskRules\": [{\"id\": \"db\", \"pathGlob\": \"**\", \"lineRegex\": \"DB_PASSWORD\", \"reason\": \"credentials\"}]}}"));
    }

    @AfterEach
    void cleanUp() {
        ts.close();
    }

    private static TestServer.Response ok(TestServer.Response r) {
        assertThat(r.status()).as(r.body()).isBetween(200, 299);
        return r;
    }

    private String user(String name, Role role) {
        ok(ts.send("POST", "/api/v1/users", "{\"name\": \"" + name + "\"}"));
        ok(ts.send("PUT", "/api/v1/users/" + name + "/roles", "{\"service\": \"wp\", \"role\": \"" + role + "\"}"));
        return TestServer.json(ok(ts.send("POST", "/api/v1/tokens", "{\"user\": \"" + name + "\", \"name\": \"t\"}"))).path("token").asText();
    }

    private int push(String token, String files, String message) {
        return TestServer.json(ok(ts.send("POST", "/api/v1/services/wp/versions", "{\"files\": " + files + ", \"message\": \""
                + message + "\"}", token))).path("version").path("number").asInt();
    }

    private TestServer.Response release(String env, int v, String token) {
        return ts.send("POST", "/api/v1/services/wp/environments/" + env + "/release", "{\"version\": " + v + "}", token);
    }

    private void awaitReleased(String env, int v) {
        await().atMost(TestServer.PATIENCE).until(() -> {
            for (JsonNode e : ts.get("/api/v1/services/wp/environments")) {
                if (e.path("name").asText().equals(env)) return e.path("releasedVersion").asInt() == v;
            }
            return false;
        });
    }

    // ---------------------------------------------------------------- 3: approval laundering

    @Test
    void aHighRiskChangeCannotReachProductionUnapprovedThroughAChainOfVersions() {
        String releaser = user("rel", Role.RELEASER);
        String approver = user("appr", Role.APPROVER);
        int v1 = push(releaser, "{\"wp-config.php\": \"<?php\\n$x = 1;\\n\"}", "initial");
        for (String env : List.of("testing", "production")) {
            ok(release(env, v1, releaser));
            awaitReleased(env, v1);
        }
        int v3 = push(releaser, "{\"wp-config.php\": \"<?php\\n$x = 1;\\ndefine( 'DB_PASSWORD', 'new' );\\n\"}", "adds a password");
        int v4 = push(releaser, "{\"wp-config.php\": \"<?php\\n// just a comment\\n$x = 1;\\ndefine( 'DB_PASSWORD', 'new' );\\n\"}", "comment");
        for (String env : List.of("testing")) {
            ok(release(env, v4, releaser));
            awaitReleased(env, v4);
        }
        TestServer.Response refused = release("production", v4, releaser);
        assertThat(refused.status()).as(refused.body()).isEqualTo(409);
        assertThat(refused.body()).contains("approval_required", "wp-config.php");
        // approving v3 approves its high-risk change: v4 adds only a comment on top of it
        ok(ts.send("POST", "/api/v1/services/wp/versions/" + v3 + "/approve", "{}", approver));
        ok(release("production", v4, releaser));
        awaitReleased("production", v4);
        // a later change of the risky line needs its own approval again
        int v5 = push(releaser, "{\"wp-config.php\": \"<?php\\n$x = 2;\\ndefine( 'DB_PASSWORD', 'other' );\\n\"}", "rotate");
        for (String env : List.of("testing")) {
            ok(release(env, v5, releaser));
            awaitReleased(env, v5);
        }
        assertThat(release("production", v5, releaser).status()).isEqualTo(409);
    }

    // ---------------------------------------------------------------- 4: names the file system cannot hold

    @Test
    void namesNoFileSystemCanHoldAreRefusedAtPush() {
        String longName = "a".repeat(256) + ".conf";
        for (String path : List.of(longName, "dir/" + longName, "x/".repeat(1100) + "f.conf", "é".repeat(130) + ".conf")) {
            TestServer.Response r = ts.send("POST", "/api/v1/services/wp/versions",
                    Json.write(Map.of("files", Map.of(path, "x\n"), "message", "m")));
            assertThat(r.status()).as(path.length() + " chars: " + r.body()).isEqualTo(400);
            assertThat(r.body()).contains("invalid_path");
        }
        ok(ts.send("POST", "/api/v1/services/wp/versions", Json.write(Map.of("files", Map.of("a".repeat(250) + ".conf", "x\n"), "message", "m"))));
    }

    // ---------------------------------------------------------------- 5: bundles masked for people

    /** The bundle's files as text (entries carry base64). */
    private static String files(TestServer.Response bundle) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode e : TestServer.json(bundle).path("entries")) {
            if (e.hasNonNull("base64")) sb.append(new String(Base64.getDecoder().decode(e.path("base64").asText()), StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    @Test
    void aViewerReadsBundlesMaskedWhileAgentsGetTheRealBytes() {
        String viewer = user("view", Role.VIEWER);
        int v = push(ts.token(), "{\"wp-config.php\": \"<?php\\ndefine( 'DB_PASSWORD', 'hunter2-bundle-secret' );\\n\"}", "initial");
        TestServer.Response seen = ts.send("GET", "/api/v1/services/wp/versions/" + v + "/bundle", null, viewer);
        assertThat(seen.status()).isEqualTo(200);
        assertThat(files(seen)).doesNotContain("hunter2-bundle-secret").contains("********");
        assertThat(seen.body()).doesNotContain("hunter2-bundle-secret");
        String agent = TestServer.json(ok(ts.send("POST", "/api/v1/services/wp/environments/testing/enrolments", "{\"host\": \"h1\"}")))
                .path("token").asText();
        assertThat(files(ts.send("GET", "/api/v1/services/wp/versions/" + v + "/bundle", null, agent))).contains("hunter2-bundle-secret");
        assertThat(files(ts.send("GET", "/api/v1/services/wp/versions/" + v + "/bundle", null))).as("admins").contains("hunter2-bundle-secret");
    }

    // ---------------------------------------------------------------- 6: sessions die with their token

    private String signIn(String name, String token) throws Exception {
        HttpResponse<String> login = noRedirects.send(HttpRequest.newBuilder(URI.create(ts.url() + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("user=" + name + "&token=" + token + "&next=/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).isEqualTo(302);
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        return cookie.substring(0, cookie.indexOf(';'));
    }

    private int page(String session) throws Exception {
        return noRedirects.send(HttpRequest.newBuilder(URI.create(ts.url() + "/")).header("Cookie", session).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void aSessionDiesWithTheTokenItSignedInWithOrItsUser() throws Exception {
        String token = user("view", Role.VIEWER);
        String other = TestServer.json(ok(ts.send("POST", "/api/v1/tokens", "{\"user\": \"view\", \"name\": \"second\"}"))).path("token").asText();
        String session = signIn("view", token);
        String otherSession = signIn("view", other);
        assertThat(page(session)).isEqualTo(200);
        String id = null;
        for (JsonNode t : ts.get("/api/v1/tokens?user=view")) if (t.path("name").asText().equals("t")) id = t.path("id").asText();
        ok(ts.send("DELETE", "/api/v1/tokens/" + id, null));
        assertThat(page(session)).as("revoked token's session").isEqualTo(302);
        assertThat(page(otherSession)).as("a session of another token lives on").isEqualTo(200);
        ok(ts.send("POST", "/api/v1/users/view/disable", "{}"));
        assertThat(page(otherSession)).as("disabled user").isEqualTo(302);
    }

    // ---------------------------------------------------------------- 7: anonymous floods

    @Test
    void anonymousRequestsAreLimitedPerAddressAndDoNotFloodTheAuditLog() {
        long before = TestServer.json(ts.send("GET", "/api/v1/audit/verify", null)).path("records").asLong();
        int limited = 0;
        for (int i = 0; i < 600; i++) {
            TestServer.Response r = ts.send("POST", "/api/v1/services/wp/versions", "{}", "rg_not-a-real-token-000000000000");
            assertThat(r.status()).isIn(401, 429);
            if (r.status() == 429) limited++;
        }
        assertThat(limited).as("refused before authentication").isGreaterThan(300);
        // counted by credential too: behind a proxy, someone else from the same address is not locked out with the guesser
        assertThat(ts.send("POST", "/api/v1/services/wp/versions", "{}", "rg_another-unknown-token-11111111").status()).isEqualTo(401);
        // the guesser is still limited: its budget refills at 20 a second, so on a slow machine one try may get through
        // (401) before the next is refused, as in the loop above
        List<Integer> again = new ArrayList<>();
        for (int i = 0; i < 10 && !again.contains(429); i++) {
            again.add(ts.send("POST", "/api/v1/services/wp/versions", "{}", "rg_not-a-real-token-000000000000").status());
        }
        assertThat(again).as("the guesser's tries after the loop").contains(429).isSubsetOf(401, 429);
        long after = TestServer.json(ts.send("GET", "/api/v1/audit/verify", null)).path("records").asLong();
        // the two verify calls are reads: no anonymous request left a record
        assertThat(after - before).isZero();
        // a signed-in caller from the same address still gets through (its token authenticates)
        ok(ts.send("GET", "/api/v1/whoami", null));
    }

    // ---------------------------------------------------------------- 9: made-up hosts

    @Test
    void anUnboundEnrolmentTokenRegistersAFewHostsOnly() {
        String enrol = TestServer.json(ok(ts.send("POST", "/api/v1/services/wp/environments/testing/enrolments", "{}"))).path("token").asText();
        int registered = 0;
        for (int i = 0; i < 200; i++) {
            TestServer.Response r = ts.send("POST", "/api/v1/agents/register", "{\"service\": \"wp\", \"env\": \"testing\", \"host\": \"fake-" + i
                    + "\"}", enrol);
            if (r.status() == 200) registered++;
            else assertThat(r.body()).contains("enrolment_exhausted");
        }
        assertThat(registered).isEqualTo(10);
        // a host it registered may come back (an agent restarting)
        ok(ts.send("POST", "/api/v1/agents/register", "{\"service\": \"wp\", \"env\": \"testing\", \"host\": \"fake-3\"}", enrol));
        // an admin enrolling a larger fleet says how large
        String fleet = TestServer.json(ok(ts.send("POST", "/api/v1/services/wp/environments/testing/enrolments", "{\"maxHosts\": 50}")))
                .path("token").asText();
        for (int i = 0; i < 50; i++) {
            ok(ts.send("POST", "/api/v1/agents/register", "{\"service\": \"wp\", \"env\": \"testing\", \"host\": \"real-" + i + "\"}", fleet));
        }
        assertThat(ts.send("POST", "/api/v1/agents/register", "{\"service\": \"wp\", \"env\": \"testing\", \"host\": \"real-50\"}", fleet)
                .status()).isEqualTo(403);
    }

    // ---------------------------------------------------------------- 10: open redirect

    @Test
    void signInRedirectsOnlyToLocalPaths() throws Exception {
        String token = user("view", Role.VIEWER);
        for (String next : List.of("/\t/evil.example", "/\n/evil.example", "//evil.example", "/\\evil.example", "/%09/evil.example",
                "https://evil.example", "/ /evil.example", "/\u3000/evil.example", "/%2F/evil.example", "javascript:alert(1)")) {
            HttpResponse<String> r = noRedirects.send(HttpRequest.newBuilder(URI.create(ts.url() + "/login"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("user=view&token=" + token + "&next="
                            + URLEncoder.encode(next, StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(302);
            assertThat(r.headers().firstValue("Location").orElseThrow()).as(next).isEqualTo("/");
        }
        assertThat(AuthRoutes.safeNext("/services/wp?tab=versions")).isEqualTo("/services/wp?tab=versions");
    }

    // ---------------------------------------------------------------- 14: bad query values

    @Test
    void badQueryValuesAre400WithTheParameterName() {
        for (String q : List.of("/api/v1/audit?after=abc", "/api/v1/audit?limit=x", "/api/v1/services/wp/versions?limit=1e3",
                "/api/v1/services/wp/diff?from=1&to=zz", "/api/v1/audit?after=99999999999999999999")) {
            TestServer.Response r = ts.send("GET", q, null);
            assertThat(r.status()).as(q + " " + r.body()).isEqualTo(400);
            assertThat(r.body()).contains("invalid_parameter");
            String name = q.replaceAll(".*[?&]([a-z]+)=[^&=]*$", "$1");
            assertThat(r.body()).as(q).contains("'" + name + "'");
        }
    }

    // ---------------------------------------------------------------- 15: strict JSON

    @Test
    void requestBodiesAreStrictJson() {
        for (String body : List.of(
                "{\"files\": {\"a.conf\": \"x\\n\"}, \"message\": \"m\"} trailing",
                "{\"files\": {\"a.conf\": \"x\\n\"}, \"message\": \"m\"}{}",
                "{\"files\": {\"a.conf\": \"x\\n\", \"a.conf\": \"y\\n\"}, \"message\": \"m\"}",
                "{\"files\": {\"a.conf\": \"x\\n\"}, \"message\": \"m\", \"message\": \"n\"}",
                "{\"files\": {\"a.conf\": \"x\\ud800\\n\"}, \"message\": \"m\"}",
                "{\"files\": {\"a.conf\": \"x\\n\"}, \"message\": \"m\\udc00\"}")) {
            TestServer.Response r = ts.send("POST", "/api/v1/services/wp/versions", body);
            assertThat(r.status()).as(body + " -> " + r.body()).isEqualTo(400);
            assertThat(r.body()).contains("malformed_json");
        }
        assertThat(ts.get("/api/v1/services/wp/versions").size()).isZero();
        // a proper pair of surrogates is a character like any other
        ok(ts.send("POST", "/api/v1/services/wp/versions", "{\"files\": {\"a.conf\": \"x \\ud83d\\ude00\\n\"}, \"message\": \"m\"}"));
    }
}
