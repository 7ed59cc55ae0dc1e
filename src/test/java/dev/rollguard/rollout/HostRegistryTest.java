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
        w.db.useTransaction(tx -> w.config.recordRelease(tx, "wp", "testing", 1, "alice", null, w.clock.instant()));
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

    /** Issue 25.9: once registered, a host speaks only with its own credential. */
    @Test
    void anUnboundTokenCannotSpeakForAHostEnrolledWithItsOwn() {
        HostRegistry.Enrolment own = new HostRegistry.Enrolment("bound-h1", 1, "h1");
        HostRegistry.Enrolment fleetToken = new HostRegistry.Enrolment("fleet", 10);
        w.registry.register("wp", "testing", "h1", null, own);
        w.registry.register("wp", "testing", "h2", null, fleetToken);
        assertThatThrownBy(() -> w.registry.requireCredential("wp", "testing", "h1", fleetToken)).isInstanceOf(Problem.class)
                .satisfies(e -> assertThat(((Problem) e).status()).isEqualTo(403))
                .extracting(e -> ((Problem) e).code()).isEqualTo("host_credential");
        assertThatThrownBy(() -> w.registry.register("wp", "testing", "h1", "canary=true", fleetToken)).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("host_credential");
        assertThat(w.registry.hosts("wp", "testing").get(0).labels()).as("the refused registration changed nothing").isNull();
        // its own token, a new token bound to it by name, a person, and the fleet token for its own host all speak
        w.registry.requireCredential("wp", "testing", "h1", own);
        w.registry.requireCredential("wp", "testing", "h1", new HostRegistry.Enrolment("rotated-h1", 1, "h1"));
        w.registry.requireCredential("wp", "testing", "h1", null);
        w.registry.requireCredential("wp", "testing", "h2", fleetToken);
        assertThatThrownBy(() -> w.registry.requireCredential("wp", "testing", "h2", own)).isInstanceOf(Problem.class);
        // a host not registered yet is anybody's to register (its requests answer unknown_host until then)
        w.registry.requireCredential("wp", "testing", "h3", fleetToken);
        w.registry.register("wp", "testing", "h3", null, fleetToken);
        assertThatThrownBy(() -> w.registry.requireCredential("wp", "testing", "h3", new HostRegistry.Enrolment("other", 10)))
                .isInstanceOf(Problem.class);
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

    /**
     * Issue 28: the desired version is kept in memory once read or woken with (no database read per wait), and the store
     * stays the truth: a change written without a wake-up here (a notification lost) is seen at the host's next report,
     * whose waits then read the store again.
     */
    @Test
    void desiredVersionsAreKeptInMemoryAndAReportMendsAMissedChange() {
        w.registry.register("wp", "testing", "h1", null);
        assertThat(w.registry.desiredVersion("wp", "testing", "h1")).isNull();
        w.signals.wake("wp", "testing", Map.of("h1", 1));
        assertThat(w.registry.desiredVersion("wp", "testing", "h1")).as("as woken, before any write").isEqualTo(1);
        w.db.useTransaction(tx -> w.store.assign(tx, "wp", "testing", List.of("h1"), 2));
        assertThat(w.registry.desiredVersion("wp", "testing", "h1")).as("the write was not announced here").isEqualTo(1);
        var poll = w.signals.await("wp", "testing", "h1");
        assertThat(w.report("testing", "h1", 1)).isEqualTo(2);
        assertThat(poll).as("woken to read the store again").succeedsWithin(Duration.ofSeconds(10)).isNull();
        assertThat(w.registry.desiredVersion("wp", "testing", "h1")).isEqualTo(2);
    }
}
