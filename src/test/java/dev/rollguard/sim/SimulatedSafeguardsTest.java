package dev.rollguard.sim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.TestServer;
import dev.rollguard.agent.Watchdog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The benchmark's simulated hosts in each mode: the agent's own preflight and watchdog paths, on the hosts' own handler. */
class SimulatedSafeguardsTest {
    private static final int HOSTS = 4;
    /** The server's analysis waits for 40 errors (the ceiling; the sequential test, at alpha 1e-20, never comes first): the watchdog's local revert shows alone. */
    private static final String SPEC = "{\"rollout\": {\"analysis\": {\"alpha\": 1e-20, \"minErrorCount\": 40}, "
            + "\"waves\": [{\"hosts\": 1, \"bakeSeconds\": 4}, {\"percent\": 100, \"bakeSeconds\": 1}]}}";
    private TestServer ts;

    @BeforeEach
    void start() {
        ts = new TestServer();
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC).status()).isEqualTo(200);
    }

    @AfterEach
    void stop() {
        ts.close();
    }

    @ParameterizedTest
    @EnumSource(RolloutBenchmark.Mode.class)
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void theTypoOnSimulatedHosts(RolloutBenchmark.Mode mode) throws Exception {
        boolean preflight = mode == RolloutBenchmark.Mode.PREFLIGHT;
        Watchdog.Settings watchdog = mode == RolloutBenchmark.Mode.OFF ? null : Watchdog.Settings.DEFAULT;
        try (Fleet fleet = new Fleet(List.of(ts.url()), "wp", "production", HOSTS, ts.dir.resolve("fleet"), Duration.ofMillis(250), false,
                ts.token(), preflight, watchdog).start()) {
            await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/production/hosts").size() == HOSTS);
            Map<String, String> good = WordPressLikeTree.generate(60, 42);
            int v1 = ts.push(good, "good", null);
            assertThat(ts.awaitTerminal(ts.release("production", v1, "first release").path("id").asText()).path("state").asText()).isEqualTo("COMPLETE");
            await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v1) == HOSTS);
            fleet.load(100, false);
            int v2 = ts.push(WordPressLikeTree.withTypo(good), "typo", "hotfix");
            JsonNode end = ts.awaitTerminal(ts.release("production", v2, "hotfix").path("id").asText());
            await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion(v1) == HOSTS);
            assertThat(end.path("state").asText()).isEqualTo("ROLLED_BACK");
            long served = fleet.members().stream().filter(m -> m.host().everServed(v2)).count();
            long failed = fleet.members().stream().mapToLong(m -> m.host().counts().getOrDefault(v2, new long[2])[1]).sum();
            String reason = end.path("reason").asText();
            // how it was stopped is a typed field of the rollback event, not a phrase of its message
            JsonNode rollback = null;
            for (JsonNode e : end.path("events")) {
                if ("rollback_started".equals(e.path("type").asText())) rollback = e.path("data");
            }
            assertThat(rollback).as("the rollback event").isNotNull();
            switch (mode) {
                case PREFLIGHT -> {
                    assertThat(rollback.path("failedStage").asText()).as(reason).isEqualTo("PREFLIGHT");
                    assertThat(rollback.path("neverServed").asBoolean()).isTrue();
                    assertThat(rollback.path("probeStatus").asInt()).isEqualTo(500);
                    assertThat(served).isZero();
                    assertThat(failed).isZero();
                }
                case WATCHDOG -> {
                    assertThat(rollback.path("failedStage").asText()).as(reason).isEqualTo("WATCHDOG");
                    assertThat(served).isEqualTo(1);
                    assertThat(failed).isBetween(4L, 19L);
                }
                case OFF -> {
                    assertThat(rollback.has("failedStage")).as(reason).isFalse();
                    assertThat(failed).isGreaterThanOrEqualTo(20);
                }
            }
        }
    }
}
