package dev.rollguard.incident;

import dev.rollguard.Json;
import dev.rollguard.config.IncidentSettings;
import dev.rollguard.config.RolloutPolicy;
import dev.rollguard.config.Severity;
import dev.rollguard.health.Counts;
import dev.rollguard.health.HealthStore;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.rollout.EventData;
import dev.rollguard.rollout.EventRecord;
import dev.rollguard.rollout.Grounds;
import dev.rollguard.rollout.HostInfo;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutEvent;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every transition of the incident machine, without a database, a clock or HTTP. */
class IncidentMachineTest {
    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
    private static final IncidentSettings SLO = IncidentSettings.DEFAULT;
    private static final RolloutPolicy POLICY = new RolloutPolicy(List.of(new RolloutPolicy.Wave(1, null, 10),
            new RolloutPolicy.Wave(null, 100, 10)), null, null, null);

    private static Rollout rollout(Rollout.State state, String breakGlass) {
        return new Rollout("r1", "wp", "production", 1, 2, List.of("h0", "h1"), POLICY, state, 0, T0, T0, T0, "alice", breakGlass, null);
    }

    private static EventRecord event(String type, Instant at, EventData data) {
        return new EventRecord("e1", "wp", "production", "r1", type, "automatic rollback: 5xx", data, at);
    }

    /** A rollout event's data as the events table stores it. */
    private static EventData data(String stored) {
        return Json.read(stored, EventData.class);
    }

    /** A break-glass release's start event ({@code reason} null) or an automatic rollback's. */
    private static RolloutCause cause(EventRecord e, String reason) {
        return reason == null ? new RolloutCause.BreakGlassRelease(e, new RolloutEvent.Started("alice", "production", 1, 2, 2, new int[]{1, 2}, "hotfix", 0))
                : new RolloutCause.AutomaticRollback(e, new RolloutEvent.RollbackStarted(true, null, reason, null, List.of("h0"), 1));
    }

    private static HealthStore.Sample sample(int fromSec, Integer version, long requests, long errors) {
        Instant start = T0.plusSeconds(fromSec);
        return new HealthStore.Sample(start, start.plusSeconds(1), version, requests, errors, 10, requests, errors > 0 ? start : null);
    }

    private static HostInfo host(String name, Integer applied, Instant lastSeen) {
        return new HostInfo("wp", "production", name, null, T0, lastSeen, applied, applied, null, null);
    }

    private static List<IncidentMachine.Effect.Line> lines(IncidentMachine.Step s) {
        return s.effects().stream().filter(e -> e instanceof IncidentMachine.Effect.Line).map(e -> (IncidentMachine.Effect.Line) e).toList();
    }

    private static List<String> types(IncidentMachine.Step s) {
        return lines(s).stream().map(IncidentMachine.Effect.Line::type).toList();
    }

    private static Incident rollbackIncident() {
        IncidentMachine.Step s = IncidentMachine.rolloutIncident(null, rollout(Rollout.State.ROLLED_BACK, null),
                cause(event("rollback_started", T0.plusSeconds(2), data("{\"errors\":50}")), "5xx"), "rollout:r1", T0.plusSeconds(2));
        return s.incident().withId(7);
    }

    @Test
    void aPersonOpensAnIncidentAndItPages() {
        IncidentMachine.Step s = IncidentMachine.open("wp", "production", "  site down ", null, "carol", "bob", "manual:x", T0);
        assertThat(s.incident().id()).as("not stored yet").isZero();
        assertThat(s.incident().title()).isEqualTo("site down");
        assertThat(s.incident().severity()).isEqualTo(Severity.SEV3);
        assertThat(s.incident().source()).isEqualTo(Incident.Source.MANUAL);
        assertThat(s.incident().commander()).isEqualTo("carol");
        assertThat(s.incident().openedBy()).isEqualTo("bob");
        assertThat(s.incident().detectedAt()).isEqualTo(T0);
        assertThat(types(s)).containsExactly("opened");
        assertThat(s.effects()).contains(new IncidentMachine.Effect.Trigger(false));
    }

    @Test
    void acknowledgingTwiceChangesNothing() {
        Incident i = rollbackIncident();
        IncidentMachine.Step ack = IncidentMachine.acknowledge(i, "bob", T0.plusSeconds(5));
        assertThat(ack.incident().acknowledgedAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(ack.effects()).contains(new IncidentMachine.Effect.Page(PageAction.ACKNOWLEDGE));
        assertThat(types(ack)).containsExactly("alert_acknowledged");
        IncidentMachine.Step again = IncidentMachine.acknowledge(ack.incident(), "carol", T0.plusSeconds(9));
        assertThat(again.incident()).isEqualTo(ack.incident());
        assertThat(again.effects()).isEmpty();
    }

    @Test
    void resolvingFillsTheMissingTimesQuietsTheEnvironmentAndCannotHappenTwice() {
        Incident i = rollbackIncident();
        IncidentMachine.Step s = IncidentMachine.resolve(i, "bob", " fixed ", T0.plusSeconds(60));
        Incident r = s.incident();
        assertThat(r.status()).isEqualTo(Incident.Status.RESOLVED);
        assertThat(r.mitigatedAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(r.recoveredAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(r.resolvedAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(lines(s).get(0).message()).isEqualTo("resolved by bob: fixed");
        assertThat(s.effects()).contains(new IncidentMachine.Effect.Page(PageAction.RESOLVE),
                new IncidentMachine.Effect.Quiet(T0.plusSeconds(60)));
        assertThatThrownBy(() -> IncidentMachine.resolve(r, "bob", null, T0.plusSeconds(61))).isInstanceOf(IllegalStateException.class);
        Incident noEnv = Incident.opened("wp", null, "t", Severity.SEV3, Incident.Source.MANUAL, "m", "bob", T0);
        assertThat(IncidentMachine.resolve(noEnv, "bob", null, T0).effects()).noneMatch(e -> e instanceof IncidentMachine.Effect.Quiet);
    }

    @Test
    void updatingSeverityEscalatesOrNotAndListsTheChanges() {
        Incident i = rollbackIncident();
        IncidentMachine.Step worse = IncidentMachine.update(i, "carol", Severity.SEV1, null, "bob", "u1", T0);
        assertThat(worse.incident().severity()).isEqualTo(Severity.SEV1);
        assertThat(worse.incident().title()).isEqualTo(i.title());
        assertThat(lines(worse).get(0).message()).isEqualTo("bob: commander is carol; severity SEV3 → SEV1");
        assertThat(worse.effects()).contains(new IncidentMachine.Effect.Trigger(true));

        IncidentMachine.Step milder = IncidentMachine.update(worse.incident(), "", Severity.SEV4, "new title", "bob", "u2", T0);
        assertThat(milder.incident().commander()).isNull();
        assertThat(milder.effects()).contains(new IncidentMachine.Effect.Trigger(false));
        assertThat(lines(milder).get(0).message()).contains("commander cleared", "title: new title");

        IncidentMachine.Step nothing = IncidentMachine.update(i, null, null, null, "bob", "u3", T0);
        assertThat(nothing.effects()).isEmpty();
    }

    @Test
    void aNoteIsALine() {
        IncidentMachine.Step s = IncidentMachine.note(rollbackIncident(), "bob", " looking ", "note:1", T0);
        assertThat(lines(s)).containsExactly(new IncidentMachine.Effect.Line(T0, "note", "bob", "looking", TimelineData.NONE, "note:1"));
    }

    @Test
    void anAutomaticRollbackOpensAPagedIncidentWithTheRolloutsHistory() {
        Rollout r = rollout(Rollout.State.ROLLED_BACK, null);
        EventRecord e = event("rollback_started", T0.plusSeconds(2), data("{\"errors\":50}"));
        IncidentMachine.Step s = IncidentMachine.rolloutIncident(null, r, cause(e, "5xx too high"), "rollout:r1", T0.plusSeconds(3));
        Incident i = s.incident();
        assertThat(i.title()).isEqualTo("v2 rolled back automatically in production: 5xx too high");
        assertThat(i.source()).isEqualTo(Incident.Source.ROLLBACK);
        assertThat(i.severity()).isEqualTo(Severity.SEV3);
        assertThat(i.openedAt()).isEqualTo(T0.plusSeconds(2));
        assertThat(i.detectedAt()).isEqualTo(T0.plusSeconds(2));
        assertThat(i.analysis()).isEqualTo(new IncidentAnalysis.Rollback(data("{\"errors\":50}")));
        assertThat(i.fromVersion()).isEqualTo(1);
        assertThat(i.toVersion()).isEqualTo(2);
        assertThat(types(s)).containsExactly("opened", "rollback_started");
        assertThat(s.effects()).contains(new IncidentMachine.Effect.CopyRolloutHistory(r), new IncidentMachine.Effect.Trigger(false));
    }

    @Test
    void aRollbackByAHostsReportKeepsWhereTheHostCaughtItAsAType() {
        Rollout r = rollout(Rollout.State.ROLLED_BACK, null);
        var failure = new AgentProtocol.HostFailure(AgentProtocol.Stage.PREFLIGHT, "GET / answered 500",
                new AgentProtocol.ProbeAnswer("/", 500, 200, "Fatal error"));
        var caught = new RolloutEvent.HostFailed("h0", failure, true);
        var rollback = new RolloutEvent.RollbackStarted(true, null, "host h0 caught v2 in preflight", new Grounds.Host("h0"), List.of("h0"), 1, caught);
        Incident i = IncidentMachine.rolloutIncident(null, r, new RolloutCause.AutomaticRollback(event("rollback_started", T0, EventData.NONE),
                rollback), "rollout:r1", T0).incident();
        assertThat(i.caught()).isEqualTo(caught);
        assertThat(i.title()).isEqualTo("v2 caught in preflight in production, 0 requests failed: host h0: GET / answered 500");
        assertThat(Postmortem.caught(i.caught())).isEqualTo("in preflight on h0, before any user request (GET / answered 500, expected 200)");
        assertThat(Postmortem.caught(new RolloutEvent.HostFailed("h1", new AgentProtocol.HostFailure(AgentProtocol.Stage.WATCHDOG, "5xx", null),
                false))).isEqualTo("by the local watchdog on h1 (reverted itself)");
        // caught by the replay of the host's own traffic: every failed path is named with both answers
        var replayed = List.of(new AgentProtocol.ProbeAnswer("/wp-login.php", 403, 200, ""), new AgentProtocol.ProbeAnswer("/?feed=rss2", 500, 200, ""));
        assertThat(Postmortem.caught(new RolloutEvent.HostFailed("h2", new AgentProtocol.HostFailure(AgentProtocol.Stage.PREFLIGHT,
                "replay of 9 recent requests: 2 worse", replayed.get(0), replayed), true)))
                .isEqualTo("in preflight on h2, before any user request (replay of the host's recent requests, worse than on the current "
                        + "version: GET /wp-login.php 403 (was 200), GET /?feed=rss2 500 (was 200))");
    }

    @Test
    void aBreakGlassReviewIsOpenedQuietlyAndBecomesTheOutageWhenItRollsBack() {
        Rollout r = rollout(Rollout.State.RUNNING, "hotfix");
        IncidentMachine.Step review = IncidentMachine.rolloutIncident(null, r, cause(event("rollout_started", T0, EventData.NONE), null), "rollout:r1", T0);
        Incident i = review.incident().withId(3);
        assertThat(i.source()).isEqualTo(Incident.Source.BREAK_GLASS);
        assertThat(i.severity()).isEqualTo(Severity.SEV4);
        assertThat(i.detectedAt()).isNull();
        assertThat(i.openedBy()).isEqualTo("alice");
        assertThat(i.title()).isEqualTo("Break-glass release of v2 to production: hotfix");

        IncidentMachine.Step outage = IncidentMachine.rolloutIncident(i, rollout(Rollout.State.ROLLED_BACK, "hotfix"),
                cause(event("rollback_started", T0.plusSeconds(9), EventData.NONE), "5xx"), "rollout:r1", T0.plusSeconds(9));
        assertThat(outage.incident().id()).isEqualTo(3);
        assertThat(outage.incident().source()).isEqualTo(Incident.Source.ROLLBACK);
        assertThat(outage.incident().severity()).isEqualTo(Severity.SEV3);
        assertThat(outage.incident().detectedAt()).isEqualTo(T0.plusSeconds(9));
        assertThat(types(outage)).as("no second 'opened'").containsExactly("rollback_started");
        assertThat(outage.effects()).as("channels that heard of the review hear of the outage").contains(new IncidentMachine.Effect.Trigger(true));
    }

    @Test
    void aSecondBreakGlassEventJoinsTheOpenReviewWithoutPagingAgain() {
        Rollout r = rollout(Rollout.State.RUNNING, "hotfix");
        Incident review = IncidentMachine.rolloutIncident(null, r, cause(event("rollout_started", T0, EventData.NONE), null), "rollout:r1", T0)
                .incident().withId(6);
        IncidentMachine.Step again = IncidentMachine.rolloutIncident(review, r, cause(event("rollout_started", T0.plusSeconds(1), EventData.NONE), null),
                "rollout:r1", T0.plusSeconds(1));
        assertThat(again.incident().source()).isEqualTo(Incident.Source.BREAK_GLASS);
        assertThat(again.incident().severity()).isEqualTo(Severity.SEV4);
        assertThat(again.incident().title()).isEqualTo(review.title());
        assertThat(again.effects()).contains(new IncidentMachine.Effect.Trigger(false)).noneMatch(e -> e instanceof IncidentMachine.Effect.Page);
    }

    @Test
    void anIncidentWithoutRolloutOrHealthSourceIsOnlyMeasured() {
        Incident manual = Incident.opened("wp", "production", "slow", Severity.SEV4, Incident.Source.MANUAL, "manual:1", "bob", T0).withId(9);
        Map<String, List<HealthStore.Sample>> samples = Map.of("h0", List.of(sample(-10, 1, 100, 40)));
        IncidentMachine.Step s = IncidentMachine.follow(manual, null, List.of(), samples, SLO, T0.plusSeconds(5));
        assertThat(s.incident().mitigatedAt()).as("a person says when a manual incident is mitigated").isNull();
        assertThat(s.incident().impact().requestsFailed()).isEqualTo(40);
        assertThat(s.incident().severity()).as("40% of the traffic failed").isEqualTo(Severity.SEV1);
        assertThat(s.effects()).contains(new IncidentMachine.Effect.Trigger(true));
    }

    @Test
    void otherRolloutEventsAreCopiedOnceByTheirId() {
        EventRecord e = new EventRecord("e9", "wp", "production", "r1", "wave_started", "wave 2 of 2", EventData.NONE, T0);
        IncidentMachine.Step s = IncidentMachine.rolloutEvent(rollbackIncident(), e);
        assertThat(lines(s)).containsExactly(new IncidentMachine.Effect.Line(T0, "wave_started", "rollout", "wave 2 of 2", TimelineData.NONE, "event:e9"));
    }

    @Test
    void aRollbackIsMitigatedWhenEveryLiveHostRunsTheOldVersionAndRecoveredWhenTheyServeWell() {
        Incident i = rollbackIncident();
        Rollout r = rollout(Rollout.State.ROLLED_BACK, null);
        Instant now = T0.plusSeconds(6);
        Map<String, List<HealthStore.Sample>> samples = Map.of(
                "h0", List.of(sample(1, 2, 100, 50), sample(2, 2, 100, 100), sample(4, 1, 100, 0)),
                "h1", List.of(sample(1, 1, 100, 0), sample(4, 1, 100, 0)));

        IncidentMachine.Step stillOn = IncidentMachine.follow(i, r, List.of(host("h0", 2, now), host("h1", 1, now)), samples, SLO, now);
        assertThat(stillOn.incident().mitigatedAt()).as("h0 is alive and still on v2").isNull();
        assertThat(types(stillOn)).containsExactly("first_5xx");
        assertThat(lines(stillOn).get(0).at()).isEqualTo(T0.plusSeconds(1));

        IncidentMachine.Step silent = IncidentMachine.follow(i, r, List.of(host("h0", 2, T0.minusSeconds(600)), host("h1", 1, now)), samples,
                SLO, now);
        assertThat(silent.incident().mitigatedAt()).as("a silent host does not hold the mitigation up").isEqualTo(now);

        IncidentMachine.Step back = IncidentMachine.follow(i, r, List.of(host("h0", 1, now), host("h1", 1, now)), samples, SLO, now);
        Incident b = back.incident();
        assertThat(b.status()).isEqualTo(Incident.Status.MITIGATED);
        assertThat(b.mitigatedAt()).isEqualTo(now);
        assertThat(b.recoveredAt()).isEqualTo(now);
        assertThat(types(back)).containsExactly("first_5xx", "rollback_finished", "traffic_recovered_90", "traffic_recovered_100");
        assertThat(b.impact().requestsFailed()).isEqualTo(150);
        assertThat(b.severity()).as("half the traffic failed at the peak").isEqualTo(Severity.SEV1);
        assertThat(back.effects()).contains(new IncidentMachine.Effect.Page(PageAction.MITIGATED), new IncidentMachine.Effect.Trigger(true),
                new IncidentMachine.Effect.Quiet(now));
    }

    /** A rollback with nothing to go back to (a first release) leaves the typo on the canary: the fixed release mitigates. */
    @Test
    void aLaterReleaseOfAFixedVersionMitigatesAndItsHealthyHostsRecover() {
        Incident i = rollbackIncident();
        Rollout r = rollout(Rollout.State.ROLLED_BACK, null);
        Instant now = T0.plusSeconds(20);
        Rollout fix = new Rollout("r2", "wp", "production", 1, 3, List.of("h0", "h1"), POLICY, Rollout.State.COMPLETE, 1,
                T0.plusSeconds(10), T0.plusSeconds(10), T0.plusSeconds(15), "alice", null, null);
        Map<String, List<HealthStore.Sample>> samples = Map.of(
                "h0", List.of(sample(-5, 1, 100, 100), sample(1, 1, 100, 100), sample(2, 2, 100, 100), sample(16, 3, 100, 0)),
                "h1", List.of(sample(-5, 1, 100, 100), sample(1, 1, 100, 100), sample(16, 3, 100, 0)));
        List<HostInfo> hosts = List.of(host("h0", 3, now), host("h1", 3, now));

        IncidentMachine.Step before = IncidentMachine.follow(i, r, hosts, samples, SLO, now, List.of(r));
        assertThat(before.incident().mitigatedAt()).as("no fix released yet (and no v1 to be back on)").isNull();

        IncidentMachine.Step s = IncidentMachine.follow(i, r, hosts, samples, SLO, now, List.of(fix, r));
        assertThat(s.incident().status()).isEqualTo(Incident.Status.MITIGATED);
        assertThat(s.incident().mitigatedAt()).isEqualTo(T0.plusSeconds(15));
        assertThat(s.incident().recoveredAt()).isEqualTo(now);
        assertThat(types(s)).containsExactly("first_5xx", "fix_released", "traffic_recovered_90", "traffic_recovered_100");
        // v1 failed everything before the release too: only the second on v2 is the release's
        assertThat(s.incident().impact().requestsFailed()).isEqualTo(100);
        assertThat(s.incident().impact().firstErrorAt()).isEqualTo(T0.plusSeconds(2));
    }

    @Test
    void aMitigatedIncidentIsNotRecoveredWhileAHitHostStillFails() {
        Incident i = rollbackIncident().withStatus(Incident.Status.MITIGATED).withMitigatedAt(T0.plusSeconds(3));
        Rollout r = rollout(Rollout.State.ROLLED_BACK, null);
        Map<String, List<HealthStore.Sample>> samples = Map.of(
                "h0", List.of(sample(1, 2, 100, 50), sample(4, 1, 100, 0)),
                "h1", List.of(sample(1, 2, 100, 10), sample(4, 1, 100, 5)));
        IncidentMachine.Step s = IncidentMachine.follow(i, r, List.of(), samples, SLO, T0.plusSeconds(6));
        assertThat(s.incident().recoveredAt()).isNull();
        assertThat(types(s)).containsExactly("first_5xx", "first_5xx");
        assertThat(s.effects()).noneMatch(e -> e instanceof IncidentMachine.Effect.Page || e instanceof IncidentMachine.Effect.Quiet);
    }

    @Test
    void aHealthBreachOpensWhenTheSloIsMissedAndIsMitigatedWhenTheRateIsBackUnder() {
        Counts under = new Counts(1000, 49, 0, 0);
        assertThat(IncidentMachine.healthBreach("wp", "production", under, SLO, T0, T0.plusSeconds(60))).isNull();
        assertThat(IncidentMachine.healthBreach("wp", "production", new Counts(99, 99, 0, 0), SLO, T0, T0.plusSeconds(60)))
                .as("too few requests to judge").isNull();
        IncidentMachine.Step breach = IncidentMachine.healthBreach("wp", "production", new Counts(1000, 300, 0, 0), SLO, T0, T0.plusSeconds(60));
        Incident i = breach.incident();
        assertThat(i.source()).isEqualTo(Incident.Source.HEALTH);
        assertThat(i.causeKey()).isEqualTo("health:wp/production");
        assertThat(i.severity()).isEqualTo(Severity.SEV1);
        assertThat(i.title()).isEqualTo("5xx rate 30.0% in production over the last 60 s (SLO 5.0%)");
        assertThat(types(breach)).containsExactly("health_breach");
        assertThat(breach.effects()).contains(new IncidentMachine.Effect.Trigger(false));

        Incident open = i.withId(4);
        Instant now = T0.plusSeconds(20);
        Map<String, List<HealthStore.Sample>> failing = Map.of("h0", List.of(sample(18, 1, 100, 30)));
        assertThat(IncidentMachine.follow(open, null, List.of(), failing, SLO, now).incident().mitigatedAt()).isNull();
        Map<String, List<HealthStore.Sample>> healed = Map.of("h0", List.of(sample(10, 1, 100, 30), sample(18, 1, 100, 1)));
        IncidentMachine.Step s = IncidentMachine.follow(open, null, List.of(), healed, SLO, now);
        assertThat(s.incident().mitigatedAt()).isEqualTo(now);
        assertThat(lines(s)).anySatisfy(l -> {
            assertThat(l.type()).isEqualTo("mitigated");
            assertThat(l.message()).startsWith("5xx rate back under the SLO (1.00% over the last 5 s");
        });
    }

    @Test
    void aBreakGlassReviewRecoversWhenItsRolloutCompletes() {
        Rollout running = rollout(Rollout.State.RUNNING, "hotfix");
        Incident i = IncidentMachine.rolloutIncident(null, running, cause(event("rollout_started", T0, EventData.NONE), null), "rollout:r1", T0)
                .incident().withId(5);
        assertThat(IncidentMachine.followReview(i, running, T0.plusSeconds(5))).isEqualTo(new IncidentMachine.Step(i, List.of()));
        IncidentMachine.Step done = IncidentMachine.followReview(i, rollout(Rollout.State.COMPLETE, "hotfix"), T0.plusSeconds(9));
        assertThat(done.incident().recoveredAt()).isEqualTo(T0.plusSeconds(9));
        assertThat(IncidentMachine.followReview(i, rollout(Rollout.State.ROLLED_BACK, "hotfix"), T0)).as("a failed review is followed")
                .isNull();
        assertThat(IncidentMachine.followReview(rollbackIncident(), running, T0)).isNull();
    }

    @Test
    void followingStopsOnceRecoveryHasSettled() {
        Incident i = rollbackIncident();
        assertThat(IncidentMachine.following(i, T0)).isTrue();
        Incident recovered = i.withRecoveredAt(T0);
        assertThat(IncidentMachine.following(recovered, T0.plus(IncidentMachine.SETTLE))).isTrue();
        assertThat(IncidentMachine.following(recovered, T0.plus(IncidentMachine.SETTLE).plusMillis(1))).isFalse();
        assertThat(IncidentMachine.following(Incident.opened("wp", null, "t", Severity.SEV3, Incident.Source.MANUAL, "m", "b", T0), T0))
                .as("no environment, no health to follow").isFalse();
    }

    @Test
    void alertsOpenJoinAndMitigate() {
        Alertmanager.Alert firing = new Alertmanager.Alert("wp", "production", "HighLatency", true, Severity.SEV2, null, Map.of("a", "b"),
                T0, null, "fp");
        IncidentMachine.Step opened = IncidentMachine.alert(null, firing, "am", T0.plusSeconds(1));
        assertThat(opened.incident().title()).isEqualTo("Alert HighLatency firing");
        assertThat(opened.incident().causeKey()).isEqualTo("alertmanager:wp/production/HighLatency");
        assertThat(types(opened)).containsExactly("opened", "alert_firing");
        assertThat(opened.effects()).contains(new IncidentMachine.Effect.Trigger(false));

        Incident i = opened.incident().withId(8);
        IncidentMachine.Step again = IncidentMachine.alert(i, firing, "am", T0.plusSeconds(2));
        assertThat(types(again)).containsExactly("alert_firing");
        assertThat(again.incident()).isEqualTo(i);

        Alertmanager.Alert resolved = new Alertmanager.Alert("wp", "production", "HighLatency", false, Severity.SEV2, null, Map.of(),
                T0, T0.plusSeconds(30), "fp");
        IncidentMachine.Step mitigated = IncidentMachine.alert(i, resolved, "am", T0.plusSeconds(40));
        assertThat(mitigated.incident().status()).isEqualTo(Incident.Status.MITIGATED);
        assertThat(mitigated.incident().mitigatedAt()).isEqualTo(T0.plusSeconds(30));
        assertThat(mitigated.effects()).contains(new IncidentMachine.Effect.Page(PageAction.MITIGATED));
        assertThat(IncidentMachine.alert(null, resolved, "am", T0)).as("a resolved alert without an incident").isNull();
    }

    @Test
    void deliveriesAndFailuresAreLinesNoMessageIsParsed() {
        Notification n = new Notification("n1", 7, "pd", IncidentSettings.Kind.PAGERDUTY, PageAction.TRIGGER,
                "http://x", null, "{}", Notification.Status.PENDING, 2, T0, null, T0, null);
        assertThat(IncidentMachine.delivery(new Notifier.Outcome.Delivered(n), T0).message())
                .isEqualTo("trigger delivered to pd (pagerduty) after 3 attempts");
        IncidentMachine.Effect.Line retry = IncidentMachine.delivery(new Notifier.Outcome.Failed(n, "HTTP 503", false), T0);
        assertThat(retry.message()).isEqualTo("trigger to pd failed: HTTP 503; retrying with backoff");
        assertThat(retry.ref()).isEqualTo("failed:n1:false");
        IncidentMachine.Effect.Line gaveUp = IncidentMachine.delivery(new Notifier.Outcome.Failed(n, "HTTP 400", true), T0);
        assertThat(gaveUp.message()).isEqualTo("trigger to pd failed: gave up: HTTP 400");
        assertThat(gaveUp.ref()).isEqualTo("failed:n1:true");
    }

    /** Whatever the hosts report, following never un-mitigates, never lowers the severity and never reopens a mitigated incident. */
    @Property(tries = 300)
    void followingOnlyMovesForward(@ForAll @IntRange(min = 0, max = 100) int errorsH0, @ForAll @IntRange(min = 0, max = 100) int errorsH1,
                                   @ForAll @IntRange(min = 1, max = 2) int versionH0, @ForAll boolean mitigatedBefore) {
        Incident i = rollbackIncident();
        if (mitigatedBefore) i = i.withStatus(Incident.Status.MITIGATED).withMitigatedAt(T0.plusSeconds(3));
        Rollout r = rollout(Rollout.State.ROLLED_BACK, null);
        Instant now = T0.plusSeconds(6);
        List<HealthStore.Sample> h0 = new ArrayList<>(List.of(sample(1, 2, 100, errorsH0), sample(4, versionH0, 100, errorsH0 / 2)));
        Map<String, List<HealthStore.Sample>> samples = Map.of("h0", h0, "h1", List.of(sample(4, 1, 100, errorsH1)));
        IncidentMachine.Step s = IncidentMachine.follow(i, r, List.of(host("h0", versionH0, now), host("h1", 1, now)), samples, SLO, now);
        Incident u = s.incident();
        assertThat(u.severity().atLeast(i.severity())).isTrue();
        if (i.mitigatedAt() != null) assertThat(u.mitigatedAt()).isEqualTo(i.mitigatedAt());
        if (u.status() == Incident.Status.OPEN) assertThat(u.mitigatedAt()).isNull();
        if (u.recoveredAt() != null) assertThat(u.mitigatedAt()).isNotNull();
        assertThat(s.effects().stream().filter(e -> e instanceof IncidentMachine.Effect.Page).count()).isLessThanOrEqualTo(1);
    }
}
