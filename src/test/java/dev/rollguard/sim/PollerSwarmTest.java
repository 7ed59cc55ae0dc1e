package dev.rollguard.sim;

import dev.rollguard.TestServer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The benchmark's pollers speak the agent protocol on one thread: every one takes a release, and their reports finish it. */
class PollerSwarmTest {
    @ParameterizedTest(name = "{0}")
    @EnumSource(PollerSwarm.Transport.class)
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void everyPollerAppliesAndReportsEachRelease(PollerSwarm.Transport transport) throws Exception {
        try (TestServer ts = new TestServer()) {
            assertThat(ts.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}]}}").status())
                    .isEqualTo(200);
            String enrolment = ts.server.auth().enrol("wp", "production", null, null, 100, "test").token();
            try (PollerSwarm swarm = new PollerSwarm(List.of(ts.url()), "wp", "production", 20, enrolment, transport)) {
                swarm.registerAll();
                for (int round = 1; round <= 2; round++) {
                    int next = ts.get("/api/v1/services/wp/versions?limit=1").path(0).path("number").asInt() + 1;
                    swarm.expect(next, System.nanoTime());
                    int v = ts.push(RolloutBenchmark.bundleFiles(round), "round " + round, null);
                    assertThat(v).isEqualTo(next);
                    String id = ts.release("production", v, "test").path("id").asText();
                    assertThat(swarm.await(TestServer.PATIENCE)).hasSize(20);
                    // the rollout completes only when every host has reported the version applied
                    assertThat(ts.awaitTerminal(id).path("state").asText()).isEqualTo("COMPLETE");
                    await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/production/hosts")
                            .findValuesAsText("appliedVersion").stream().filter(String.valueOf(v)::equals).count() == 20);
                }
                assertThat(swarm.cpuNanos()).isPositive();
            }
        }
    }
}
