package dev.rollguard.incident;

import dev.rollguard.config.Severity;
import dev.rollguard.rollout.Rollout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Incidents that open on their own: from a rollout's typed events and from Alertmanager's alerts. */
class IncidentIntakeTest {
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

    @Test
    void aBreakGlassReleaseOpensAReviewAndAManualRollbackOfItJoinsIt() {
        Rollout r = w.rollouts.rollouts.start("wp", "production", 1, "alice", "site down");
        await().atMost(Duration.ofSeconds(30)).until(() -> !w.incidents.incidents("wp", null, 10).isEmpty());
        Incident review = w.incidents.incidents("wp", null, 10).get(0);
        assertThat(review.source()).isEqualTo(Incident.Source.BREAK_GLASS);
        assertThat(review.causeKey()).isEqualTo("rollout:" + r.id());
        assertThat(review.title()).isEqualTo("Break-glass release of v1 to production: site down");
        Rollout second = w.rollouts.rollouts.start("wp", "production", 2, "alice", "still down");
        await().atMost(Duration.ofSeconds(30)).until(() -> w.incidents.incidents("wp", null, 10).size() == 2);
        Incident again = w.incidents.incidents("wp", null, 10).stream().filter(i -> i.rolloutId().equals(second.id())).findFirst().orElseThrow();
        w.rollouts.rollouts.rollbackEnv("wp", "production", "bob", "worse");
        await().atMost(Duration.ofSeconds(30)).until(() -> w.incidents.timeline(again.id()).stream()
                .anyMatch(t -> t.type().equals("rollback_started")));
        assertThat(w.incidents.timeline(review.id())).noneMatch(t -> t.type().equals("rollback_started"));
    }

    @Test
    void firingAlertsOpenOneIncidentPerNameAndResolvedOnesMitigateIt() {
        Instant now = w.rollouts.clock.instant();
        var firing = new Alertmanager.Alert("wp", "production", "HighErrorRate", true, Severity.SEV2, "5xx", Map.of("alertname",
                "HighErrorRate"), now, null, "f1");
        List<Integer> ids = w.incidents.alertmanager(new Alertmanager.Payload("g", "firing", List.of(firing, firing)), "alertmanager");
        assertThat(ids).hasSize(1);
        assertThat(w.incidents.incident(ids.get(0)).source()).isEqualTo(Incident.Source.ALERTMANAGER);
        var resolved = new Alertmanager.Alert("wp", "production", "HighErrorRate", false, Severity.SEV2, "5xx", Map.of(), now, now, "f1");
        assertThat(w.incidents.alertmanager(new Alertmanager.Payload("g", "resolved", List.of(resolved)), "alertmanager")).isEqualTo(ids);
        assertThat(w.incidents.incident(ids.get(0)).status()).isEqualTo(Incident.Status.MITIGATED);
    }
}
