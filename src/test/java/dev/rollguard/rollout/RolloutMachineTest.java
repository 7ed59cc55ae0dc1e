package dev.rollguard.rollout;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.rollguard.Json;
import dev.rollguard.config.RolloutPolicy;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.health.Counts;
import dev.rollguard.protocol.AgentProtocol;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RolloutMachineTest {
    private static final Instant T0 = Instant.parse("2026-01-01T05:45:00Z");
    private static final RolloutPolicy POLICY = new RolloutPolicy(List.of(new RolloutPolicy.Wave(1, null, 10),
            new RolloutPolicy.Wave(null, 10, 10), new RolloutPolicy.Wave(null, 50, 10), new RolloutPolicy.Wave(null, 100, 10)),
            null, null, null);

    private static Rollout rollout(int fleet) {
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < fleet; i++) hosts.add("h" + i);
        return new Rollout("r1", "wp", "production", 1, 2, hosts, POLICY, Rollout.State.RUNNING, 0, T0, T0, T0, "alice", null, null);
    }

    /** Every host healthy, canaries on v2, baseline on v1. */
    private static List<HostObservation> healthy(Rollout r, Instant now, long requestsPerHost, long errorsPerCanary) {
        List<HostObservation> out = new ArrayList<>();
        for (String h : r.hosts()) {
            boolean canary = r.canaryHosts().contains(h);
            out.add(new HostObservation(h, canary ? 2 : 1, null, null, now,
                    new Counts(requestsPerHost, canary ? errorsPerCanary : 0, 20, requestsPerHost)));
        }
        return out;
    }

    @Test
    void timeNobodyWatchedIsNotBakeTime() {
        // the server was down from T0+2 s to T0+60 s: its orchestrator first looked at the rollout again at T0+60 s
        Rollout r = rollout(20);
        Instant restarted = T0.plusSeconds(60);
        Instant now = restarted.plusMillis(30);
        RolloutMachine.Step s = RolloutMachine.step(r, healthy(r, now, 3000, 0), now, restarted);
        assertThat(s.rollout().wave()).as("passed 30 ms after the restart").isZero();
        assertThat(s.actions()).isEmpty();
        now = restarted.plusSeconds(9);
        assertThat(RolloutMachine.step(r, healthy(r, now, 3000, 0), now, restarted).rollout().wave()).isZero();
        now = restarted.plusSeconds(10);
        assertThat(RolloutMachine.step(r, healthy(r, now, 3000, 0), now, restarted).rollout().wave()).as("10 s watched").isEqualTo(1);
        // watched all along: the wave's own start counts
        assertThat(RolloutMachine.step(r, healthy(r, T0.plusSeconds(10), 3000, 0), T0.plusSeconds(10), T0).rollout().wave()).isEqualTo(1);
    }

    @Test
    void aWaveBakesOnlyOnceItsHostsServeTheVersion() {
        // the canary took 25 s to stage its tree: its first report on v2 began at T0+25 s, so a 10 s bake ends at T0+35 s
        Rollout r = rollout(20);
        Instant serving = T0.plusSeconds(25);
        Instant now = T0.plusSeconds(30);
        List<HostObservation> obs = new ArrayList<>(healthy(r, now, 3000, 0));
        HostObservation canary = obs.get(0);
        obs.set(0, new HostObservation(canary.host(), canary.appliedVersion(), null, null, null, now, canary.health(), canary.windows(),
                List.of(), serving));
        assertThat(RolloutMachine.step(r, obs, now).rollout().wave()).as("serving for 5 s of a 10 s bake").isZero();
        Instant baked = serving.plusSeconds(10);
        assertThat(RolloutMachine.step(r, obs, baked).rollout().wave()).as("10 s served").isEqualTo(1);
    }

    @Test
    void wavesFollowThePlan() {
        assertThat(POLICY.targets(100)).containsExactly(1, 10, 50, 100);
        assertThat(POLICY.targets(3)).containsExactly(1, 1, 2, 3);
        assertThat(POLICY.targets(1)).containsExactly(1, 1, 1, 1);
        assertThat(RolloutPolicy.defaults().targets(20)).containsExactly(1, 2, 10, 20);
    }

    @Test
    void aLargeFleetsFirstWaveTakesTheCanaryHostsTheSpecAsksFor() throws Exception {
        RolloutPolicy two = new RolloutPolicy(null, null, null, null, null, new RolloutPolicy.Canary(null, null, 2, 20));
        assertThat(two.targets(20)).as("20 hosts: two canaries, the next waves as before").containsExactly(2, 2, 10, 20);
        assertThat(two.targets(100)).containsExactly(2, 10, 50, 100);
        assertThat(two.targets(19)).as("under minFleet: one canary").containsExactly(1, 2, 10, 19);
        assertThat(two.targets(2)).containsExactly(1, 1, 1, 2);
        RolloutPolicy three = new RolloutPolicy(List.of(new RolloutPolicy.Wave(null, 10, 30), new RolloutPolicy.Wave(null, 100, 30)), null,
                null, null, null, new RolloutPolicy.Canary(null, null, 3, 5));
        assertThat(three.targets(20)).as("a first wave larger than the canaries keeps its size").containsExactly(3, 20);
        assertThat(three.targets(50)).containsExactly(5, 50);
        assertThatThrownBy(() -> new RolloutPolicy.Canary(null, null, 0, null)).hasMessageContaining("canary.hosts");
        ServiceSpec spec = Json.YAML.readerFor(ServiceSpec.class).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .readValue("rollout:\n  canary: {hosts: 2, minFleet: 20}\n");
        assertThat(spec.rollout().targets(40)).as("from the spec").containsExactly(2, 4, 20, 40);
        // the first wave's hosts are the canaries the machine assigns and the analysis pools
        Rollout r = new Rollout("r1", "wp", "production", 1, 2, rollout(20).hosts(), two, Rollout.State.RUNNING, 0, T0, T0, T0, "alice", null, null);
        assertThat(RolloutMachine.start(r).actions()).first().isEqualTo(new Action.Assign(List.of("h0", "h1"), 2));
    }

    @Test
    void goodVersionWalksThroughEveryWave() {
        Rollout r = rollout(20);
        RolloutMachine.Step start = RolloutMachine.start(r);
        assertThat(start.actions()).first().isEqualTo(new Action.Assign(List.of("h0"), 2));
        Instant now = T0;
        List<Integer> waves = new ArrayList<>();
        for (int i = 0; i < 20 && !r.state().terminal(); i++) {
            now = now.plusSeconds(11);
            RolloutMachine.Step s = RolloutMachine.step(r, healthy(r, now, 3000, 0), now);
            r = s.rollout();
            waves.add(r.wave());
        }
        assertThat(r.state()).isEqualTo(Rollout.State.COMPLETE);
        assertThat(waves).containsExactly(1, 2, 3, 3);
    }

    @Test
    void waitsForBakeAndForApply() {
        Rollout r = rollout(10);
        Instant now = T0.plusSeconds(5);
        assertThat(RolloutMachine.step(r, healthy(r, now, 3000, 0), now).rollout().wave()).as("bake not over").isZero();
        Instant later = T0.plusSeconds(30);
        List<HostObservation> notApplied = new ArrayList<>(healthy(r, later, 3000, 0));
        notApplied.set(0, new HostObservation("h0", 1, null, null, later, Counts.EMPTY));
        RolloutMachine.Step s = RolloutMachine.step(r, notApplied, later);
        assertThat(s.rollout().wave()).as("canary not applied yet").isZero();
        assertThat(s.rollout().state()).isEqualTo(Rollout.State.RUNNING);
        Instant tooLate = T0.plus(RolloutMachine.APPLY_TIMEOUT).plusSeconds(1);
        notApplied.set(0, new HostObservation("h0", 1, null, null, tooLate, Counts.EMPTY));
        assertThat(RolloutMachine.step(r, notApplied, tooLate).rollout().reason()).contains("did not apply");
    }

    @Test
    void withAutomaticRollbackOffAFailingCanaryOnlyPauses() {
        Rollout base = rollout(20);
        RolloutPolicy pausing = new RolloutPolicy(POLICY.waves(), null, null, null, RolloutPolicy.OnFailure.PAUSE);
        Rollout r = new Rollout("r1", "wp", "production", 1, 2, base.hosts(), pausing, Rollout.State.RUNNING, 0, T0, T0, T0, "alice", null, null);
        Instant now = T0.plusSeconds(1);
        RolloutMachine.Step s = RolloutMachine.step(r, healthy(r, now, 100, 100), now);
        assertThat(s.rollout().state()).isEqualTo(Rollout.State.PAUSED);
        assertThat(s.rollout().reason()).contains("automatic rollback is off");
        assertThat(s.actions()).noneMatch(a -> a instanceof Action.Assign || a instanceof Action.MarkBad);
    }

    @Test
    void failingCanaryRollsEveryHostBackAndMarksTheVersionBad() {
        Rollout r = rollout(20);
        Instant now = T0.plusSeconds(1);
        RolloutMachine.Step s = RolloutMachine.step(r, healthy(r, now, 100, 100), now);
        assertThat(s.rollout().state()).isEqualTo(Rollout.State.ROLLED_BACK);
        assertThat(s.decision().verdict()).isEqualTo(Analysis.Verdict.FAIL);
        assertThat(s.actions()).contains(new Action.Assign(r.hosts(), 1));
        assertThat(s.actions()).anySatisfy(a -> assertThat(a).isInstanceOf(Action.MarkBad.class));
        assertThat(s.actions()).anySatisfy(a -> {
            assertThat(a).isInstanceOf(Action.Emit.class);
            assertThat(((Action.Emit) a).event()).isInstanceOfSatisfying(RolloutEvent.RollbackStarted.class,
                    e -> assertThat(e.automatic()).isTrue());
        });
        assertThat(RolloutMachine.step(s.rollout(), healthy(r, now, 100, 100), now.plusSeconds(1)).actions())
                .as("terminal rollouts do nothing").isEmpty();
    }

    private static RolloutEvent.HostFailed rollbackCause(RolloutMachine.Step s) {
        return s.actions().stream().filter(a -> a instanceof Action.Emit e && e.event() instanceof RolloutEvent.RollbackStarted)
                .map(a -> ((RolloutEvent.RollbackStarted) ((Action.Emit) a).event()).cause()).findFirst().orElseThrow();
    }

    @Test
    void aFailureCaughtInPreflightIsTypedAsSuchAndNeverServed() {
        Rollout r = rollout(5);
        Instant now = T0.plusSeconds(2);
        AgentProtocol.HostFailure caught = new AgentProtocol.HostFailure(AgentProtocol.Stage.PREFLIGHT, "GET / answered 500 (expected 200); empty body",
                new AgentProtocol.ProbeAnswer("/", 500, 200, ""));
        List<HostObservation> obs = new ArrayList<>(healthy(r, now, 10, 0));
        obs.set(0, new HostObservation("h0", 1, 2, caught.message(), caught, now, Counts.EMPTY, List.of(), List.of(), null));
        RolloutMachine.Step failed = RolloutMachine.step(r, obs, now);
        assertThat(failed.rollout().state()).isEqualTo(Rollout.State.ROLLED_BACK);
        RolloutEvent.HostFailed cause = rollbackCause(failed);
        assertThat(cause.host()).isEqualTo("h0");
        assertThat(cause.failure().stage()).isEqualTo(AgentProtocol.Stage.PREFLIGHT);
        assertThat(cause.failure().probe().status()).isEqualTo(500);
        assertThat(cause.neverServed()).isTrue();
        assertThat(EventData.of(cause)).containsEntry("failedStage", "PREFLIGHT").containsEntry("probeStatus", 500);

        // the same report from a host that had served the version (a watchdog's revert) is no "never served"
        AgentProtocol.HostFailure reverted = new AgentProtocol.HostFailure(AgentProtocol.Stage.WATCHDOG, "5 of 5 requests failed", null);
        obs.set(0, new HostObservation("h0", 1, 2, reverted.message(), reverted, now, Counts.EMPTY, List.of(), List.of(), now.minusSeconds(1)));
        RolloutEvent.HostFailed watchdog = rollbackCause(RolloutMachine.step(r, obs, now));
        assertThat(watchdog.failure().stage()).isEqualTo(AgentProtocol.Stage.WATCHDOG);
        assertThat(watchdog.neverServed()).isFalse();
    }

    @Test
    void applyFailureAndLostHeartbeatFailTheCanary() {
        Rollout r = rollout(5);
        Instant now = T0.plusSeconds(2);
        List<HostObservation> obs = new ArrayList<>(healthy(r, now, 10, 0));
        obs.set(0, new HostObservation("h0", 1, 2, "apachectl -t: Syntax error", now, Counts.EMPTY));
        RolloutMachine.Step failed = RolloutMachine.step(r, obs, now);
        assertThat(failed.rollout().reason()).contains("h0 failed to apply v2", "Syntax error");
        assertThat(rollbackCause(failed).failure().stage()).as("an older agent's untyped failure").isEqualTo(AgentProtocol.Stage.APPLY);

        List<HostObservation> silent = new ArrayList<>(healthy(r, now, 10, 0));
        silent.set(0, new HostObservation("h0", 2, null, null, T0.minusSeconds(60), Counts.EMPTY));
        assertThat(RolloutMachine.step(r, silent, now).rollout().reason()).contains("stopped heart-beating");
    }

    /** Issue 25.7: after the server was away, the hosts' silence is its own absence until they had time to come back. */
    @Test
    void aServerBackFromAnOutageGivesTheHostsTimeToFindItBeforeAnyCountsAsSilent() {
        Rollout r = rollout(5);
        Instant restart = T0.plusSeconds(60);
        List<HostObservation> away = new ArrayList<>(healthy(r, restart, 10, 0));
        // the canary was last heard before the outage (longer than the heartbeat timeout)
        away.set(0, new HostObservation("h0", 2, null, null, T0.plusSeconds(15), Counts.EMPTY));
        Instant now = restart.plusSeconds(2);
        assertThat(RolloutMachine.step(r, away, now, restart).rollout().reason()).as("today's rule, without the grace")
                .contains("stopped heart-beating");
        assertThat(RolloutMachine.step(r, away, now, restart, restart).rollout().state()).isEqualTo(Rollout.State.RUNNING);
        Instant graceOver = restart.plus(RolloutMachine.RECONNECT).plusSeconds(r.policy().heartbeatTimeoutSeconds());
        assertThat(RolloutMachine.step(r, away, graceOver, restart, restart).rollout().state()).isEqualTo(Rollout.State.RUNNING);
        assertThat(RolloutMachine.step(r, away, graceOver.plusSeconds(1), restart, restart).rollout().reason())
                .as("a host that never comes back is silent after all").contains("stopped heart-beating");

        // nor does an apply the agent could not report while the server was away count as late
        Rollout waiting = rollout(5);
        List<HostObservation> notYet = new ArrayList<>(healthy(waiting, T0, 10, 0));
        Instant late = T0.plus(RolloutMachine.APPLY_TIMEOUT).plusSeconds(10);
        notYet.set(0, new HostObservation("h0", 1, null, null, late, Counts.EMPTY));
        assertThat(RolloutMachine.step(waiting, notYet, late, late).rollout().reason()).contains("did not apply");
        assertThat(RolloutMachine.step(waiting, notYet, late, late, late.minusSeconds(5)).rollout().state()).isEqualTo(Rollout.State.RUNNING);
    }

    @Test
    void pauseResumeAbortAndManualRollback() {
        Rollout r = rollout(10);
        Rollout paused = RolloutMachine.pause(r, T0.plusSeconds(1), "bob").rollout();
        assertThat(paused.state()).isEqualTo(Rollout.State.PAUSED);
        assertThat(RolloutMachine.step(paused, healthy(r, T0.plusSeconds(60), 3000, 0), T0.plusSeconds(60)).rollout().wave()).isZero();
        assertThatThrownBy(() -> RolloutMachine.pause(paused, T0, "bob")).isInstanceOf(IllegalStateException.class);
        Rollout resumed = RolloutMachine.resume(paused, T0.plusSeconds(100), "bob").rollout();
        assertThat(resumed.waveStartedAt()).isEqualTo(T0.plusSeconds(100));

        RolloutMachine.Step abort = RolloutMachine.abort(resumed, T0.plusSeconds(101), "bob");
        assertThat(abort.rollout().state()).isEqualTo(Rollout.State.ABORTED);
        assertThat(abort.actions()).contains(new Action.Assign(r.hosts(), 1)).noneMatch(a -> a instanceof Action.MarkBad);

        RolloutMachine.Step manual = RolloutMachine.rollback(rollout(10), T0, "carol", "pager went off");
        assertThat(manual.rollout().reason()).isEqualTo("manual rollback by carol: pager went off");
        assertThat(manual.actions()).anyMatch(a -> a instanceof Action.MarkBad);
        assertThat(manual.actions()).as("a manual rollback is a fact with its person and reason, not an automatic one")
                .contains(new Action.Emit(new RolloutEvent.RollbackStarted(false, "carol", "pager went off", null, r.canaryHosts(), 1)));
        assertThat(abort.actions()).contains(new Action.Emit(new RolloutEvent.Aborted("bob", r.canaryHosts(), 1)));
    }
}
