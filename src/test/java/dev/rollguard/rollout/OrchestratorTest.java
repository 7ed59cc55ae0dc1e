package dev.rollguard.rollout;

import dev.rollguard.Problem;
import dev.rollguard.config.RolloutPolicy;
import dev.rollguard.config.ServiceSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The orchestrator's passes on a clock the test moves: waves advance on reports and bake, a silent canary rolls back. */
class OrchestratorTest {
    static final RolloutPolicy TWO_WAVES = new RolloutPolicy(List.of(new RolloutPolicy.Wave(1, null, 5),
            new RolloutPolicy.Wave(null, 100, 5)), null, 60, 10);

    @TempDir
    Path dir;
    RolloutWorld w;
    final List<PostedEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        w = new RolloutWorld(dir).service(new ServiceSpec(null, null, null, TWO_WAVES, null, null, null, null), 2);
        w.orchestrator.onEvent(events::add);
        // the server has been up (and its agents heard) for longer than they take to find it after a restart
        w.orchestrator.tick();
        for (int s = 0; s < RolloutMachine.RECONNECT.toSeconds(); s += 4) {
            w.clock.advance(Duration.ofSeconds(4));
            w.orchestrator.tick();
        }
        for (String h : List.of("h1", "h2", "h3")) w.registry.register("wp", "testing", h, null);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    /** {@code seconds} of one-second passes, each after every host reported what it runs ({@code applied}: by host). */
    void run(int seconds, Function<String, Integer> applied, List<String> reporting) {
        for (int s = 0; s < seconds; s++) {
            w.clock.advance(Duration.ofSeconds(1));
            for (String h : reporting) w.report("testing", h, applied.apply(h));
            w.orchestrator.tick();
        }
    }

    @Test
    void wavesAdvanceOnReportsAndBakeThenTheVersionIsReleased() {
        Rollout r = w.rollouts.start("wp", "testing", 1, "alice", null);
        assertThat(r.canaryHosts()).hasSize(1);
        String canary = r.canaryHosts().get(0);
        assertThat(w.registry.desiredVersion("wp", "testing", canary)).isEqualTo(1);
        // the canary has not applied yet: nothing moves, however long
        run(8, h -> null, List.of("h1", "h2", "h3"));
        assertThat(w.rollouts.rollout(r.id()).wave()).isZero();
        run(7, h -> h.equals(canary) ? 1 : null, List.of("h1", "h2", "h3"));
        assertThat(w.rollouts.rollout(r.id()).wave()).isEqualTo(1);
        assertThat(List.of("h1", "h2", "h3")).allSatisfy(h -> assertThat(w.registry.desiredVersion("wp", "testing", h)).isEqualTo(1));
        run(7, h -> 1, List.of("h1", "h2", "h3"));
        assertThat(w.rollouts.rollout(r.id()).state()).isEqualTo(Rollout.State.COMPLETE);
        assertThat(w.config.released("wp", "testing")).isEqualTo(1);
        assertThat(events).extracting(e -> e.event().kind()).contains(RolloutEvent.Kind.WAVE_PASSED, RolloutEvent.Kind.ROLLOUT_COMPLETE);
    }

    @Test
    void aSilentCanaryRollsTheRolloutBackAndMarksTheVersionBad() {
        Rollout r = w.rollouts.start("wp", "testing", 1, "alice", null);
        String canary = r.canaryHosts().get(0);
        run(3, h -> h.equals(canary) ? 1 : null, List.of("h1", "h2", "h3"));
        List<String> others = List.of("h1", "h2", "h3").stream().filter(h -> !h.equals(canary)).toList();
        run(12, h -> null, others);
        Rollout after = w.rollouts.rollout(r.id());
        assertThat(after.state()).isEqualTo(Rollout.State.ROLLED_BACK);
        assertThat(after.reason()).contains("stopped heart-beating");
        assertThat(w.config.version("wp", 1).bad()).isTrue();
    }

    /** Issue 25.7: 40 s of server outage, then a restart: the hosts were fine, the rollout goes on. */
    @Test
    void aServerOutageLongerThanTheHeartbeatDoesNotRollAHealthyRolloutBack() {
        Rollout r = w.rollouts.start("wp", "testing", 1, "alice", null);
        String canary = r.canaryHosts().get(0);
        run(3, h -> h.equals(canary) ? 1 : null, List.of("h1", "h2", "h3"));
        // the server is away 40 s: no passes, no reports
        w.clock.advance(Duration.ofSeconds(40));
        w.orchestrator.tick();
        assertThat(w.rollouts.rollout(r.id()).state()).as(w.rollouts.rollout(r.id()).reason()).isEqualTo(Rollout.State.RUNNING);
        // the agents find it again over their backoff, and the rollout completes
        run(5, h -> null, List.of());
        run(20, h -> h.equals(canary) || w.registry.desiredVersion("wp", "testing", h) != null ? 1 : null, List.of("h1", "h2", "h3"));
        assertThat(w.rollouts.rollout(r.id()).state()).isEqualTo(Rollout.State.COMPLETE);
    }

    @Test
    void oneRolloutPerEnvironmentAtATime() {
        w.rollouts.start("wp", "testing", 1, "alice", null);
        assertThatThrownBy(() -> w.rollouts.start("wp", "testing", 2, "alice", null)).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("rollout_in_progress");
    }

    @Test
    void aServerWithoutTheDutyKeepsNoMarks() {
        w.rollouts.start("wp", "testing", 1, "alice", null);
        w.orchestrator.tick();
        w.report("testing", "h1", null);
        assertThat(w.store.takeChanged("wp", "testing").reports()).as("orchestrating: reports marked").hasSize(1);
        // another replica holds the lease now: this one's views are forgotten, and nothing marks changes for them
        w.orchestrator.runOnlyWhen(() -> false);
        w.orchestrator.startLoop(Duration.ofMillis(20));
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            w.report("testing", "h1", null);
            return w.store.takeChanged("wp", "testing").reports().isEmpty();
        });
    }

    /** Issue 28: a step's assignments wake each host with the version it ends on, the last one assigned to it. */
    @Test
    void aHostAssignedTwiceInOneStepEndsOnTheLaterVersion() {
        var versions = Orchestrator.byHost(List.of(new Orchestrator.Assigned(List.of("h1", "h2"), 3),
                new Orchestrator.Assigned(List.of("h2", "h3"), null)));
        assertThat(versions).containsOnlyKeys("h1", "h2", "h3").containsEntry("h1", 3);
        assertThat(versions.get("h2")).isNull();
        assertThat(versions.get("h3")).isNull();
    }
}
