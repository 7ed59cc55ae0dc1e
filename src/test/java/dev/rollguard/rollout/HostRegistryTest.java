package dev.rollguard.rollout;

import dev.rollguard.Problem;
import dev.rollguard.config.ServiceSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Registration, desired versions and reports, without HTTP: the registry on a SQLite file. */
class HostRegistryTest {
    @TempDir
    Path dir;
    RolloutWorld w;

    @BeforeEach
    void setUp() {
        w = new RolloutWorld(dir).service(ServiceSpec.defaults(), 1);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    @Test
    void aNewHostStartsOnWhatItsEnvironmentRuns() {
        assertThat(w.registry.register("wp", "testing", "h1", "rack=a").desiredVersion()).isNull();
        w.db.jdbi().useTransaction(h -> w.config.recordRelease(h, "wp", "testing", 1, "alice", null, w.clock.instant()));
        HostInfo h2 = w.registry.register("wp", "testing", "h2", null);
        assertThat(h2.desiredVersion()).isEqualTo(1);
        assertThat(w.registry.desiredVersion("wp", "testing", "h2")).isEqualTo(1);
        assertThat(w.registry.hosts("wp", "testing")).extracting(HostInfo::host).containsExactly("h1", "h2");
    }

    @Test
    void badNamesAndUnknownPlacesAreRefused() {
        assertThatThrownBy(() -> w.registry.register("wp", "staging", "h1", null)).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("unknown_environment");
        assertThatThrownBy(() -> w.registry.register("wp", "testing", "../h1", null)).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("invalid_host");
        assertThatThrownBy(() -> w.registry.desiredVersion("wp", "testing", "nobody")).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("unknown_host");
    }

    @Test
    void enrolmentTokensRegisterUpToTheirLimit() {
        HostRegistry.Enrolment token = new HostRegistry.Enrolment("t1", 1);
        w.registry.register("wp", "testing", "h1", null, token);
        // the same host again is a refresh, not a second host
        w.registry.register("wp", "testing", "h1", null, token);
        assertThatThrownBy(() -> w.registry.register("wp", "testing", "h2", null, token)).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("enrolment_exhausted");
    }

    @Test
    void aReportIsWrittenAndAnswersTheDesiredVersion() {
        w.registry.register("wp", "testing", "h1", null);
        w.clock.advance(Duration.ofSeconds(3));
        assertThat(w.report("testing", "h1", 1)).isNull();
        HostInfo h = w.registry.hosts("wp", "testing").get(0);
        assertThat(h.appliedVersion()).isEqualTo(1);
        assertThat(h.lastSeen()).isEqualTo(w.clock.instant());
        assertThat(w.health.samplesByHost("wp", "testing", w.clock.instant().minusSeconds(5))).containsOnlyKeys("h1");
        assertThat(w.registry.report("wp", "testing", "ghost", 1, null, null, null, List.of()))
                .failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingRootCause().isInstanceOf(Problem.class);
    }

    @Test
    void aChangeElsewhereWakesThisServersLongPolls() {
        w.registry.register("wp", "testing", "h1", null);
        var poll = w.signals.await("wp", "testing", "h1");
        w.registry.changedElsewhere("wp", "testing", Map.of("h1", 1));
        assertThat(poll).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(new HostSignals.Desired(1));
    }
}
