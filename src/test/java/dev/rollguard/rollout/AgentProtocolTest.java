package dev.rollguard.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.protocol.AgentProtocol;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent protocol over HTTP: the long-poll's inline bundle and wake-ups, and reports written in groups. */
class AgentProtocolTest {
    // A release takes the hosts heard from within the heartbeat timeout; registering 300 hosts one by one takes longer than
    // the default 10 s on a busy machine, and hosts left out would (rightly) not be told the new version.
    private static final String SPEC = "{\"environments\": [\"production\"], \"rollout\": {\"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}], "
            + "\"heartbeatTimeoutSeconds\": 300}}";
    private TestServer ts;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        ts = new TestServer();
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC).status()).isEqualTo(200);
    }

    @AfterEach
    void stop() {
        ts.close();
    }

    private void register(String host) {
        assertThat(ts.send("POST", "/api/v1/agents/register", Json.write(Map.of("service", "wp", "env", "production", "host", host))).status())
                .isEqualTo(200);
    }

    private CompletableFuture<HttpResponse<String>> poll(String host, String query) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(ts.url() + "/api/v1/agents/wp/production/" + host + "/desired?" + query))
                .header("Authorization", "Bearer " + ts.token()).timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode body(HttpResponse<String> r) {
        return Json.read(r.body(), JsonNode.class);
    }

    /** A file of a bundle as text: entries carry every file as base64. */
    static String fileOf(JsonNode bundle, String path) {
        for (JsonNode e : bundle.path("entries")) {
            if (e.path("path").asText().equals(path)) {
                return new String(Base64.getDecoder().decode(e.path("base64").asText()), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    @Test
    void aWaitingPollIsAnsweredByTheReleaseWithTheBundleInline() throws Exception {
        register("h1");
        var waiting = poll("h1", "known=none&bundle=inline&waitSeconds=20");
        await(() -> ts.server.hosts().signals().waiting() == 1);
        int v = ts.push(Map.of("site.conf", "Listen 80\n", "wp-settings.php", "<?php\nrequire 'a.php';\n", "a.php", "<?php\n"), "v1", null);
        ts.release("production", v, null);

        HttpResponse<String> r = waiting.get(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode answer = body(r);
        assertThat(answer.path("desiredVersion").asInt()).isEqualTo(v);
        JsonNode bundle = answer.path("bundle");
        assertThat(bundle.path("version").asInt()).isEqualTo(v);
        assertThat(fileOf(bundle, "site.conf")).isEqualTo("Listen 80\n");
        // the same bytes as the bundle fetched on its own
        assertThat(bundle).isEqualTo(ts.get("/api/v1/services/wp/versions/" + v + "/bundle"));

        // a host that already runs it gets no bundle; without bundle=inline nobody does
        assertThat(body(poll("h1", "known=" + v + "&bundle=inline&waitSeconds=0").get()).has("bundle")).isFalse();
        JsonNode plain = body(poll("h1", "known=none&waitSeconds=0").get());
        assertThat(plain.path("desiredVersion").asInt()).isEqualTo(v);
        assertThat(plain.has("bundle")).isFalse();
        HttpResponse<String> bad = poll("h1", "known=none&bundle=zip&waitSeconds=0").get();
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("invalid_parameter");
        assertThat(poll("nobody", "known=none&waitSeconds=5").get().statusCode()).isEqualTo(404);
    }

    @Test
    void theServicesPreflightProbesComeWithANewVersionAndAHostsTypedFailureIsKept() throws Exception {
        String spec = "{\"environments\": [\"production\"], \"rollout\": {\"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}], "
                + "\"heartbeatTimeoutSeconds\": 300}, \"preflight\": {\"timeoutSeconds\": 30, \"probes\": [{\"path\": \"/\", \"body\": \"<title>Shop\"}, "
                + "{\"path\": \"/wp-login.php\", \"status\": 200}]}}";
        assertThat(ts.send("PUT", "/api/v1/services/wp", spec).status()).isEqualTo(200);
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{\"preflight\": {\"probes\": [{\"path\": \"no-slash\"}]}}").status()).isEqualTo(400);
        register("h1");
        int v = ts.push(Map.of("index.php", "<?php echo 'Shop';\n"), "v1", null);
        ts.release("production", v, null);

        AgentProtocol.Desired answer = Json.read(poll("h1", "known=none&bundle=inline&waitSeconds=0").get().body(), AgentProtocol.Desired.class);
        assertThat(answer.preflight()).isEqualTo(new AgentProtocol.PreflightSpec(List.of(new AgentProtocol.Probe("/", 200, "<title>Shop"),
                new AgentProtocol.Probe("/wp-login.php", 200, null)), 30));
        // a host that runs the version is not told the probes again
        assertThat(body(poll("h1", "known=" + v + "&waitSeconds=0").get()).has("preflight")).isFalse();

        AgentProtocol.HostFailure caught = new AgentProtocol.HostFailure(AgentProtocol.Stage.PREFLIGHT, "GET / answered 500 (expected 200)",
                new AgentProtocol.ProbeAnswer("/", 500, 200, "Fatal error"));
        assertThat(ts.send("POST", "/api/v1/agents/wp/production/h1/report",
                Json.write(new AgentProtocol.Report(null, v, caught.message(), List.of(), caught))).status()).isEqualTo(200);
        assertThat(ts.server.rollouts().hosts("wp", "production").get(0).failure()).isEqualTo(caught);
    }

    private int pushBinary(int bytes) {
        byte[] data = new byte[bytes];
        new Random(bytes).nextBytes(data);
        TestServer.Response r = ts.send("POST", "/api/v1/services/wp/versions", Json.write(Map.of("message", "m", "entries",
                List.of(Map.of("path", "img/big.bin", "base64", Base64.getEncoder().encodeToString(data))))));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return TestServer.json(r).path("version").path("number").asInt();
    }

    @Test
    void theInlineLimitCountsTheBundleAsSentSoLargeBinariesAreFetchedOnTheirOwn() throws Exception {
        register("h1");
        // 600 KB of random bytes is 800 KB of base64: inline
        int small = pushBinary(600_000);
        String first = ts.release("production", small, null).path("id").asText();
        JsonNode inline = body(poll("h1", "known=none&bundle=inline&waitSeconds=0").get());
        assertThat(inline.path("desiredVersion").asInt()).isEqualTo(small);
        assertThat(inline.path("bundle").path("entries").get(0).path("size").asLong()).isEqualTo(600_000);
        assertThat(inline.path("bundle")).isEqualTo(ts.get("/api/v1/services/wp/versions/" + small + "/bundle"));
        assertThat(ts.send("POST", "/api/v1/agents/wp/production/h1/report", "{\"appliedVersion\": " + small + "}").status()).isEqualTo(200);
        assertThat(ts.awaitTerminal(first).path("state").asText()).isEqualTo("COMPLETE");
        // 900 KB is 1.2 MB of base64: over the 1 MiB inline limit, so the answer names the version only
        int large = pushBinary(900_000);
        JsonNode rollout = ts.release("production", large, null);
        JsonNode answer = body(poll("h1", "known=" + small + "&bundle=inline&waitSeconds=0").get());
        assertThat(answer.path("desiredVersion").asInt()).as(rollout.toString()).isEqualTo(large);
        assertThat(answer.has("bundle")).isFalse();
        JsonNode fetched = ts.get("/api/v1/services/wp/versions/" + large + "/bundle");
        assertThat(Base64.getDecoder().decode(fetched.path("entries").get(0).path("base64").asText())).hasSize(900_000);
    }

    @Test
    void aWakeUpThatChangesNothingForTheHostKeepsItsPollWaiting() throws Exception {
        register("h1");
        var waiting = poll("h1", "known=none&bundle=inline&waitSeconds=20");
        await(() -> ts.server.hosts().signals().waiting() == 1);
        // woken without a version (it re-reads: still none), then with the one it knows: neither is news to it
        ts.server.hosts().signals().wake("wp", "production", List.of("h1"), null);
        await(() -> ts.server.hosts().signals().waiting() == 1);
        ts.server.hosts().signals().wake("wp", "production", List.of("h1"), new HostSignals.Desired(null));
        // (a wake-up takes the poll off the waiting list at once; an answered poll would never come back to it)
        await(() -> ts.server.hosts().signals().waiting() == 1);
        assertThat(waiting).isNotDone();

        int v = ts.push(Map.of("a.conf", "x\n"), "v1", null);
        ts.release("production", v, null);
        JsonNode answer = body(waiting.get(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertThat(answer.path("desiredVersion").asInt()).isEqualTo(v);
        assertThat(fileOf(answer.path("bundle"), "a.conf")).isEqualTo("x\n");
    }

    @Test
    void concurrentReportsAreEachRecordedAndAnsweredWithTheirHostsDesiredVersion() throws Exception {
        int hosts = 300;
        for (int i = 0; i < hosts; i++) register("h" + i);
        int v = ts.push(Map.of("a.conf", "x\n"), "v1", null);
        String rollout = ts.release("production", v, null).path("id").asText();

        List<CompletableFuture<HttpResponse<String>>> reports = new ArrayList<>();
        for (int i = 0; i < hosts; i++) {
            // every host reports twice at once: the later report is what the host's row keeps
            for (int applied : new int[]{-1, v}) {
                String body = applied < 0 ? "{\"appliedVersion\": null, \"samples\": []}" : "{\"appliedVersion\": " + applied + ", \"samples\": []}";
                reports.add(http.sendAsync(HttpRequest.newBuilder(URI.create(ts.url() + "/api/v1/agents/wp/production/h" + i + "/report"))
                        .header("Authorization", "Bearer " + ts.token()).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
                if (applied < 0) reports.get(reports.size() - 1).get(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS);
            }
        }
        for (var r : reports) {
            HttpResponse<String> response = r.get(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(body(response).path("desiredVersion").asInt()).isEqualTo(v);
        }
        JsonNode rows = ts.get("/api/v1/services/wp/environments/production/hosts");
        assertThat(rows).hasSize(hosts);
        rows.forEach(h -> assertThat(h.path("appliedVersion").asInt()).as(h.toString()).isEqualTo(v));
        assertThat(ts.awaitTerminal(rollout).path("state").asText()).isEqualTo("COMPLETE");

        var unknown = ts.send("POST", "/api/v1/agents/wp/production/nobody/report", "{\"appliedVersion\": 1, \"samples\": []}");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body()).contains("unknown_host");
    }

    private static void await(Callable<Boolean> condition) {
        Awaitility.await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(20)).until(condition);
    }
}
