package dev.rollguard.rollout;

import dev.rollguard.Problem;
import dev.rollguard.TestServer;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.health.HealthStore;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.HealthSample;
import dev.rollguard.versions.Bundles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The server's side of the agent protocol without HTTP: registration, reports and the long-poll, on a SQLite file. */
class AgentServiceTest {
    @TempDir
    Path dir;
    RolloutWorld w;
    AgentService agents;

    @BeforeEach
    void setUp() {
        w = new RolloutWorld(dir).service(ServiceSpec.defaults(), 2);
        agents = new AgentService(w.registry, new Bundles(w.config, 1 << 20));
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    private static AgentProtocol.Desired answer(CompletableFuture<AgentProtocol.Desired> poll) throws Exception {
        return poll.get(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void registrationNeedsItsNamesAndAnswersWithTheVersionAndTheReportInterval() {
        assertThatThrownBy(() -> agents.register(new AgentProtocol.Register("wp", null, "h1", null))).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("invalid_request");
        AgentProtocol.Registered first = agents.register(new AgentProtocol.Register("wp", "testing", "h1", "rack=a"));
        assertThat(first).isEqualTo(new AgentProtocol.Registered("h1", null, AgentService.REPORT_INTERVAL_MILLIS));
        w.db.useTransaction(tx -> w.config.recordRelease(tx, "wp", "testing", 2, "alice", null, w.clock.instant()));
        assertThat(agents.register(new AgentProtocol.Register("wp", "testing", "h2", null)).desiredVersion()).isEqualTo(2);
    }

    @Test
    void aReportIsAnsweredWithTheVersionTheHostShouldRunAndItsTrafficIsKept() throws Exception {
        agents.register(new AgentProtocol.Register("wp", "testing", "h1", null));
        Instant now = w.clock.instant();
        var samples = List.of(new HealthSample(now.minusSeconds(1), now, null, 40, 2, 10, 50, null, null));
        AgentProtocol.Desired d = agents.report("wp", "testing", "h1", new AgentProtocol.Report(null, null, null, samples))
                .get(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(d).isEqualTo(new AgentProtocol.Desired(null, null));
        assertThat(w.health.samples("wp", "testing", "h1", now.minusSeconds(60))).extracting(HealthStore.Sample::requests).containsExactly(40L);
        assertThatThrownBy(() -> agents.report("wp", "testing", "nobody", new AgentProtocol.Report(null, null, null, List.of())).join())
                .hasCauseInstanceOf(Problem.class).hasMessageContaining("nobody");
    }

    @Test
    void aPollWithAnUnknownBundleModeIsRefused() {
        agents.register(new AgentProtocol.Register("wp", "testing", "h1", null));
        assertThatThrownBy(() -> agents.poll("wp", "testing", "h1", AgentProtocol.NONE, "zip", 0)).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("invalid_parameter");
    }

    @Test
    void aPollAnswersAtOnceWhenTheHostIsBehindWithTheBundleWhenAsked() throws Exception {
        agents.register(new AgentProtocol.Register("wp", "testing", "h1", null));
        w.db.useTransaction(tx -> w.config.recordRelease(tx, "wp", "testing", 1, "alice", null, w.clock.instant()));
        // a host registered after the release starts on it, and is told so at once
        agents.register(new AgentProtocol.Register("wp", "testing", "h2", null));
        AgentProtocol.Desired inline = answer(agents.poll("wp", "testing", "h2", AgentProtocol.NONE, AgentProtocol.INLINE, 30));
        assertThat(inline.desiredVersion()).isEqualTo(1);
        assertThat(inline.carriesBundle()).isTrue();
        assertThat(inline.bundle().isFor("wp", 1, "testing", "h2")).isTrue();
        AgentProtocol.Desired bare = answer(agents.poll("wp", "testing", "h2", AgentProtocol.NONE, null, 30));
        assertThat(bare.desiredVersion()).isEqualTo(1);
        assertThat(bare.bundle()).as("no bundle unless asked").isNull();
        // the version the host already runs: at the deadline the answer is the same version, without a bundle
        AgentProtocol.Desired same = answer(agents.poll("wp", "testing", "h2", "1", AgentProtocol.INLINE, 0));
        assertThat(same).isEqualTo(new AgentProtocol.Desired(1, null, null));
    }

    @Test
    void aWaitingPollIsAnsweredByARolloutAndNotByAWakeUpWithWhatTheHostKnows() throws Exception {
        agents.register(new AgentProtocol.Register("wp", "testing", "h1", null));
        w.report("testing", "h1", null);
        CompletableFuture<AgentProtocol.Desired> poll = agents.poll("wp", "testing", "h1", AgentProtocol.NONE, AgentProtocol.INLINE, 60);
        assertThat(poll).isNotDone();
        await().atMost(TestServer.PATIENCE).until(() -> w.signals.waiting() == 1);
        // another server re-confirms "nothing" for the host: the poll keeps waiting instead of costing the host a round trip
        w.signals.wake("wp", "testing", List.of("h1"), new HostSignals.Desired(null));
        assertThat(w.signals.waiting()).isZero();
        await().atMost(TestServer.PATIENCE).until(() -> w.signals.waiting() == 1);
        assertThat(poll).isNotDone();

        w.rollouts.start("wp", "testing", 1, "alice", null);
        AgentProtocol.Desired d = answer(poll);
        assertThat(d.desiredVersion()).isEqualTo(1);
        assertThat(d.carriesBundle()).as("the canary's new version rides along with the answer").isTrue();
    }
}
