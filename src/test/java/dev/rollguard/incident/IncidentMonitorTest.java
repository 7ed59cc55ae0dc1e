package dev.rollguard.incident;

import dev.rollguard.health.HealthStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The monitor's passes on a clock the test moves: a health breach outside any rollout opens one incident. */
class IncidentMonitorTest {
    @TempDir
    Path dir;
    IncidentWorld w;

    @BeforeEach
    void setUp() {
        w = new IncidentWorld(dir);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    private void serve(long requests, long errors) {
        w.rollouts.clock.advance(Duration.ofSeconds(1));
        Instant now = w.rollouts.clock.instant();
        w.rollouts.health.report("wp", "production", "h1", List.of(new HealthStore.Sample(now.minusSeconds(1), now, 1, requests, errors, 10,
                requests)), now);
    }

    @Test
    void aHealthBreachOpensOneIncidentAndAHealthyEnvironmentNone() {
        w.rollouts.registry.register("wp", "production", "h1", null);
        for (int s = 0; s < 5; s++) serve(20, 0);
        w.incidents.monitor();
        assertThat(w.incidents.incidents("wp", null, 10)).isEmpty();
        for (int s = 0; s < 5; s++) serve(20, 10);
        w.rollouts.clock.advance(Duration.ofSeconds(1));
        w.incidents.monitor();
        w.rollouts.clock.advance(Duration.ofSeconds(2));
        w.incidents.monitor();
        List<Incident> opened = w.incidents.incidents("wp", null, 10);
        assertThat(opened).singleElement().satisfies(i -> {
            assertThat(i.source()).isEqualTo(Incident.Source.HEALTH);
            assertThat(i.env()).isEqualTo("production");
        });
        assertThat(w.incidents.notifications(opened.get(0).id())).isNotEmpty();
    }
}
