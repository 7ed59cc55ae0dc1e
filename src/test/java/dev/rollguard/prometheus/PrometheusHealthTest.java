package dev.rollguard.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.TestServer;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.sim.Fleet;
import dev.rollguard.sim.WordPressLikeTree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Prometheus as the only health signal: simulated hosts whose agents report no traffic, their /metrics scraped by
 * Debian's real prometheus server, the service's PromQL queries feeding the canary analysis. A bad version fails the
 * canary from PromQL alone and is rolled back; with Prometheus stopped, a release pauses with "no data".
 * ROLLGUARD_REQUIRE_PROMETHEUS=1 (set by .ci/run) makes a missing prometheus a failure instead of a skip.
 */
class PrometheusHealthTest {
    private static final int HOSTS = 4;

    private TestServer ts;
    private Fleet fleet;
    private Path fleetDir;
    private PrometheusServer prometheus;

    @BeforeEach
    void needPrometheus() {
        if ("1".equals(System.getenv("ROLLGUARD_REQUIRE_PROMETHEUS"))) {
            assertThat(PrometheusServer.missing()).as("prometheus is required here").isEmpty();
        } else {
            assumeThat(PrometheusServer.missing()).as("prometheus not installed").isEmpty();
        }
    }

    @AfterEach
    void cleanUp() {
        // never leave prometheus running, whatever failed
        if (prometheus != null) {
            prometheus.close();
            assertThat(prometheus.alive()).as("prometheus still running").isFalse();
        }
        if (fleet != null) fleet.close();
        if (ts != null) ts.close();
        if (fleetDir != null) TreeLoader.deleteRecursively(fleetDir);
    }

    /**
     * One query that times out is "no data" and pauses the rollout: on a busy machine a local Prometheus may take seconds
     * to answer (a query takes milliseconds when it is idle), so the queries get 5 s (not the default 2 s), and each wave
     * the shortest bake the server accepts for that: the 5 s look-back + 2 polls + the timeout = 12 s.
     */
    private static String spec(String prometheusUrl) {
        return """
                {"environments": ["production"],
                 "rollout": {"waves": [{"hosts": 1, "bakeSeconds": 12}, {"percent": 100, "bakeSeconds": 12}]},
                 "incidents": {"channels": [{"name": "hook", "kind": "generic", "url": "http://127.0.0.1:1/hook", "minSeverity": "SEV4"}]},
                 "prometheus": {"url": "%s",
                   "requests": "sum(rate(http_requests_total{host=\\"$host\\"}[5s]))",
                   "errors": "sum(rate(http_requests_total{host=\\"$host\\",code=~\\"5..\\"}[5s]))",
                   "intervalSeconds": 1, "timeoutSeconds": 5}}
                """.formatted(prometheusUrl);
    }

    @Test
    void aBadVersionVisibleOnlyInPrometheusFailsTheCanaryAndWithoutPrometheusARolloutPausesForNoData() throws Exception {
        ts = new TestServer();
        fleetDir = TestServer.tempDir();
        // agents that report no samples: whatever the analysis sees comes from Prometheus
        fleet = new Fleet(List.of(ts.url()), "wp", "production", HOSTS, fleetDir, Duration.ofMillis(250), true, ts.token(), false).start();
        fleet.load(40, false);
        Map<String, String> targets = new LinkedHashMap<>();
        for (Fleet.Member m : fleet.members()) {
            URI u = URI.create(m.host().url());
            targets.put(m.host().name(), u.getHost() + ":" + u.getPort());
        }
        prometheus = new PrometheusServer(targets);
        assertThat(ts.send("PUT", "/api/v1/services/wp", spec(prometheus.url())).status()).isEqualTo(200);
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/production/hosts").size() == HOSTS);
        // each host scraped often enough for a 5 s rate
        prometheus.awaitSeries("rate(http_requests_total{code=\"503\"}[5s]) > 0", HOSTS);

        Map<String, String> good = WordPressLikeTree.generate(80, 3);
        int v1 = ts.push(good, "initial", null);
        JsonNode first = ts.awaitTerminal(ts.release("production", v1, null).path("id").asText());
        assertThat(first.path("state").asText()).as(first.toString()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v1) == HOSTS);

        int v2 = ts.push(WordPressLikeTree.withTypo(good), "typo", "urgent");
        JsonNode bad = ts.awaitTerminal(ts.release("production", v2, "urgent").path("id").asText());
        assertThat(bad.path("state").asText()).as(bad.toString()).isEqualTo("ROLLED_BACK");
        // the 5xx test or the fail-fast ceiling, whichever the judge reaches first: both name the canary's failures
        assertThat(bad.path("reason").asText()).startsWith("automatic rollback: canary").contains("5");
        assertThat(bad.path("wave").asInt()).as("failed at the canary").isEqualTo(1);
        // the canary is the rollout's first host, chosen at random (a seed recorded with the start), not by name
        String canary = null;
        long seed = -1;
        for (JsonNode e : bad.path("events")) {
            if (e.path("type").asText().equals("wave_started") && e.path("data").path("wave").asInt() == 1) {
                canary = e.path("data").path("hosts").get(0).asText();
            }
            if (e.path("type").asText().equals("rollout_started")) seed = e.path("data").path("canarySeed").asLong(-1);
        }
        assertThat(canary).as(bad.toString()).isNotNull();
        assertThat(seed).as("the seed is recorded with the start").isNotEqualTo(-1);
        String chosen = canary;
        Fleet.Member canaryMember = fleet.members().stream().filter(m -> m.host().name().equals(chosen)).findFirst().orElseThrow();
        for (Fleet.Member m : fleet.members()) {
            if (m != canaryMember) assertThat(m.host().everServed(v2)).as(m.host().name()).isFalse();
        }
        // the agents said nothing of the failed requests: the samples the analysis judged came from PromQL
        JsonNode failed = null;
        for (JsonNode e : bad.path("events")) if (e.path("type").asText().equals("rollback_started")) failed = e;
        assertThat(failed).as(bad.toString()).isNotNull();
        assertThat(failed.path("data").path("canaryErrors").asLong()).isPositive();
        assertThat(canaryMember.host().counts().get(v2)[1]).as("the canary served errors").isPositive();
        await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v1) == HOSTS);

        await().atMost(TestServer.PATIENCE).untilAsserted(() -> {
            String metrics = ts.send("GET", "/metrics", null).body();
            assertThat(metrics)
                    .contains("rollguard_host_version_info{env=\"production\",host=\"host-0000\",service=\"wp\",version=\"" + v1 + "\"} 1")
                    .contains("rollguard_rollout_state{env=\"production\",service=\"wp\",state=\"rolled_back\"} 1.0")
                    .contains("rollguard_rollout_wave{env=\"production\",service=\"wp\"} 1.0")
                    .contains("rollguard_prometheus_up{env=\"production\",service=\"wp\"} 1.0")
                    .containsPattern("rollguard_analysis_decisions_total\\{result=\"fail\"} [1-9]")
                    .containsPattern("rollguard_webhook_deliveries_total\\{kind=\"generic\",outcome=\"failed\"} [1-9]");
        });

        // Prometheus gone: no data is no evidence, the next release waits for a person
        prometheus.stop();
        Map<String, String> changed = new LinkedHashMap<>(good);
        changed.put("extra.conf", "Timeout 30\n");
        int v3 = ts.push(changed, "timeout", null);
        String id = ts.release("production", v3, null).path("id").asText();
        JsonNode[] paused = new JsonNode[1];
        await().atMost(TestServer.PATIENCE).until(() -> {
            paused[0] = ts.get("/api/v1/rollouts/" + id);
            return !paused[0].path("state").asText().equals("RUNNING");
        });
        assertThat(paused[0].path("state").asText()).as(paused[0].toString()).isEqualTo("PAUSED");
        assertThat(paused[0].path("reason").asText()).contains("no data").contains("did not answer");
        assertThat(ts.send("GET", "/metrics", null).body())
                .containsPattern("rollguard_analysis_decisions_total\\{result=\"no_data\"} [1-9]")
                .contains("rollguard_prometheus_up{env=\"production\",service=\"wp\"} 0.0");
        // resuming without data pauses again: never a silent pass
        assertThat(ts.send("POST", "/api/v1/rollouts/" + id + "/resume", "{}").status()).isEqualTo(200);
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/rollouts/" + id).path("state").asText().equals("PAUSED"));
        assertThat(fleet.onVersion(v3)).isLessThanOrEqualTo(1);
    }
}
