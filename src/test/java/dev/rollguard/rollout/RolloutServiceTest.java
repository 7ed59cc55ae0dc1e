package dev.rollguard.rollout;

import dev.rollguard.Problem;
import dev.rollguard.config.ServiceSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Starting and steering rollouts without HTTP: the service's checks, its commands, and the fleet it picks. */
class RolloutServiceTest {
    @TempDir
    Path dir;
    RolloutWorld w;

    @BeforeEach
    void setUp() {
        w = new RolloutWorld(dir).service(ServiceSpec.defaults(), 2);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    private static String code(Throwable e) {
        return ((Problem) e).code();
    }

    @Test
    void anEnvironmentWithoutHostsTakesTheVersionAtOnce() {
        Rollout r = w.rollouts.start("wp", "testing", 1, "alice", null);
        assertThat(r.state()).isEqualTo(Rollout.State.COMPLETE);
        assertThat(w.config.released("wp", "testing")).isEqualTo(1);
        assertThat(w.rollouts.events("wp", r.id(), 10)).extracting(EventRecord::type).contains("rollout_started", "rollout_complete");
    }

    @Test
    void productionRefusesWhatTestingHasNotBaked() {
        assertThatThrownBy(() -> w.rollouts.start("wp", "production", 1, "alice", null)).satisfies(e -> assertThat(code(e)).isEqualTo("promotion_order"));
        w.rollouts.start("wp", "testing", 1, "alice", null);
        assertThatThrownBy(() -> w.rollouts.start("wp", "production", 1, "alice", null)).satisfies(e -> assertThat(code(e)).isEqualTo("promotion_bake"));
        w.clock.advance(Duration.ofSeconds(60));
        assertThat(w.rollouts.start("wp", "production", 1, "alice", null).state()).isEqualTo(Rollout.State.COMPLETE);
        assertThatThrownBy(() -> w.rollouts.start("wp", "production", 1, "alice", null)).satisfies(e -> assertThat(code(e)).isEqualTo("already_released"));
    }

    @Test
    void breakGlassNeedsAReasonAndIsRecorded() {
        assertThatThrownBy(() -> w.rollouts.start("wp", "production", 1, "alice", " ")).satisfies(e -> assertThat(code(e))
                .isEqualTo("break_glass_reason_required"));
        Rollout r = w.rollouts.start("wp", "production", 1, "alice", "site down");
        assertThat(r.breakGlass()).isEqualTo("site down");
        assertThat(w.config.released("wp", "production")).isEqualTo(1);
    }

    @Test
    void theFleetIsTheHostsHeardFromWithinTheHeartbeat() {
        w.registry.register("wp", "testing", "old", null);
        w.clock.advance(Duration.ofSeconds(30));
        w.registry.register("wp", "testing", "new", null);
        Rollout r = w.rollouts.start("wp", "testing", 1, "alice", null);
        assertThat(r.hosts()).containsExactly("new");
    }

    @Test
    void pauseResumeAndAbortAreCheckedAgainstTheState() {
        w.registry.register("wp", "testing", "h1", null);
        Rollout r = w.rollouts.start("wp", "testing", 1, "alice", null);
        assertThat(w.rollouts.pause(r.id(), "bob").state()).isEqualTo(Rollout.State.PAUSED);
        assertThatThrownBy(() -> w.rollouts.pause(r.id(), "bob")).satisfies(e -> assertThat(code(e)).isEqualTo("invalid_state"));
        assertThat(w.rollouts.resume(r.id(), "bob").state()).isEqualTo(Rollout.State.RUNNING);
        assertThat(w.rollouts.abort(r.id(), "bob").state()).isEqualTo(Rollout.State.ABORTED);
        assertThat(w.registry.desiredVersion("wp", "testing", "h1")).isNull();
        assertThat(w.rollouts.active()).isEmpty();
    }

    @Test
    void rollingBackAReleasedVersionReleasesTheOldOneAgain() {
        w.rollouts.start("wp", "testing", 1, "alice", null);
        w.rollouts.start("wp", "testing", 2, "alice", null);
        w.registry.register("wp", "testing", "h1", null);
        assertThat(w.registry.desiredVersion("wp", "testing", "h1")).isEqualTo(2);
        Rollout back = w.rollouts.rollbackEnv("wp", "testing", "bob", "slow");
        assertThat(back.state()).isEqualTo(Rollout.State.ROLLED_BACK);
        assertThat(w.config.released("wp", "testing")).isEqualTo(1);
        assertThat(w.config.version("wp", 2).bad()).isTrue();
        assertThat(w.registry.desiredVersion("wp", "testing", "h1")).isEqualTo(1);
        assertThatThrownBy(() -> w.rollouts.rollback(back.id(), "bob", "again")).satisfies(e -> assertThat(code(e)).isEqualTo("invalid_state"));
    }
}
