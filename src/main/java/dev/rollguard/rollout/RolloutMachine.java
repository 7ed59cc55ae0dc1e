package dev.rollguard.rollout;

import dev.rollguard.config.RolloutPolicy;
import dev.rollguard.protocol.AgentProtocol;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rollout state machine as a pure function: {@code (rollout, observations, now) -> (rollout', actions,
 * decision)}. The orchestrator persists the result and executes the actions; after a restart it simply
 * calls step again with what the database and the agents say.
 */
public final class RolloutMachine {
    public static final Duration APPLY_TIMEOUT = Duration.ofSeconds(120);
    /**
     * How long agents may take to find a server again after it was away (a restart, a stall, a takeover by another
     * server): their longest pause between retries (30 s of backoff, plus up to 50 % jitter). Until then, a host's
     * silence is the server's absence, not the host's.
     */
    public static final Duration RECONNECT = Duration.ofSeconds(45);

    public record Step(Rollout rollout, List<Action> actions, Analysis.Decision decision) {
        boolean changed(Rollout before) {
            return !actions.isEmpty() || rollout.state() != before.state() || rollout.wave() != before.wave();
        }
    }

    private RolloutMachine() {}

    public static Step start(Rollout r) {
        List<Action> actions = new ArrayList<>();
        actions.add(new Action.Assign(r.canaryHosts(), r.toVersion()));
        actions.add(new Action.Emit(new RolloutEvent.WaveStarted(1, r.targets().length, r.toVersion(), r.canaryHosts(),
                r.canaryHosts().size(), r.hosts().size())));
        return new Step(r, actions, null);
    }

    public static Step step(Rollout r, List<HostObservation> observations, Instant now) {
        return step(r, observations, now, r.waveStartedAt());
    }

    /**
     * One decision. {@code watchedSince}: since when the orchestrator has been watching this rollout without a gap (it
     * starts again after a restart, a takeover by another server, or a stall): a wave bakes only while it is watched,
     * so time the server was down never counts as healthy bake time.
     */
    public static Step step(Rollout r, List<HostObservation> observations, Instant now, Instant watchedSince) {
        return step(r, observations, now, watchedSince, null);
    }

    /**
     * As above; {@code listeningSince}: since when the server has been able to hear its agents without a gap (null: as
     * long as the rollout ran). Before {@link #RECONNECT} has passed since then, no host counts as silent and no apply
     * as late: the agents are still finding their way back.
     */
    public static Step step(Rollout r, List<HostObservation> observations, Instant now, Instant watchedSince, Instant listeningSince) {
        Map<String, HostObservation> byHost = new HashMap<>();
        for (HostObservation o : observations) byHost.put(o.host(), o);
        return step(r, byHost, now, watchedSince, listeningSince);
    }

    /** As above, the observations by host name (the orchestrator keeps them so between its ticks). */
    public static Step step(Rollout r, Map<String, HostObservation> byHost, Instant now, Instant watchedSince, Instant listeningSince) {
        if (r.state() != Rollout.State.RUNNING) return new Step(r, List.of(), null);
        List<String> canary = r.canaryHosts();
        Duration heartbeat = r.policy().heartbeatTimeout();
        Instant back = listeningSince == null ? null : listeningSince.plus(RECONNECT);
        Instant applyFrom = back != null && back.isAfter(r.waveStartedAt()) ? back : r.waveStartedAt();

        boolean allApplied = true;
        // the bake counts from when the last of the wave's hosts began serving the version (its first report on it):
        // a host that took long to stage, or to pass its preflight, was not watched before that
        Instant serving = r.waveStartedAt();
        List<Evidence.HostWindows> canaryWindows = new ArrayList<>();
        for (String h : canary) {
            HostObservation o = byHost.get(h);
            Instant heard = o == null ? null : o.lastSeen();
            if (back != null && (heard == null || back.isAfter(heard))) heard = back;
            if (!HostInfo.alive(heard, now, heartbeat)) {
                return fail(r, now, "host " + h + " stopped heart-beating (none for over " + heartbeat.toSeconds() + " s)", new Grounds.Host(h));
            }
            if (o.failedVersion() != null && o.failedVersion() == r.toVersion()) {
                AgentProtocol.HostFailure f = o.failure() != null ? o.failure()
                        : new AgentProtocol.HostFailure(AgentProtocol.Stage.APPLY, o.applyError(), null);
                return fail(r, now, hostFailureReason(h, r.toVersion(), f), new Grounds.Host(h),
                        new RolloutEvent.HostFailed(h, f, f.beforeAnyUser() && noneServed(r, byHost)));
            }
            if (o.appliedVersion() == null || o.appliedVersion() != r.toVersion()) {
                allApplied = false;
                if (Duration.between(applyFrom, now).compareTo(APPLY_TIMEOUT) > 0) {
                    return fail(r, now, "host " + h + " did not apply v" + r.toVersion() + " within " + APPLY_TIMEOUT.toSeconds() + " s",
                            new Grounds.Host(h));
                }
                continue;
            }
            if (o.servingSince() != null && o.servingSince().isAfter(serving)) serving = o.servingSince();
            canaryWindows.add(new Evidence.HostWindows(h, o.windows(), o.before()));
        }
        List<Evidence.HostWindows> baselineWindows = new ArrayList<>();
        for (String h : r.baselineHosts()) {
            HostObservation o = byHost.get(h);
            if (o != null && !o.windows().isEmpty()) baselineWindows.add(new Evidence.HostWindows(h, o.windows()));
        }
        Analysis.Decision d = Analysis.decide(new Evidence(canaryWindows, baselineWindows), r.policy().analysis());
        if (d.verdict() == Analysis.Verdict.FAIL) return fail(r, now, d.reason(), d.grounds(), d, null);

        int bake = r.policy().waves().get(Math.min(r.wave(), r.policy().waves().size() - 1)).bakeSeconds();
        Instant bakeFrom = watchedSince != null && watchedSince.isAfter(serving) ? watchedSince : serving;
        boolean baked = !now.isBefore(bakeFrom.plusSeconds(bake));
        if (!allApplied || !baked) return new Step(r, List.of(), d);

        int[] targets = r.targets();
        int next = r.wave() + 1;
        List<Action> actions = new ArrayList<>();
        actions.add(new Action.Emit(new RolloutEvent.WavePassed(r.wave() + 1, d)));
        if (next >= targets.length) {
            actions.add(new Action.Released(r.toVersion()));
            actions.add(new Action.Emit(new RolloutEvent.Completed(r.toVersion(), r.env(), r.hosts().size())));
            return new Step(r.with(Rollout.State.COMPLETE, r.wave(), r.waveStartedAt(), now, "complete"), actions, d);
        }
        Rollout advanced = r.with(Rollout.State.RUNNING, next, now, now, null);
        List<String> added = advanced.canaryHosts().subList(canary.size(), advanced.canaryHosts().size());
        if (!added.isEmpty()) actions.add(new Action.Assign(added, r.toVersion()));
        actions.add(new Action.Emit(new RolloutEvent.WaveStarted(next + 1, targets.length, r.toVersion(), added,
                advanced.canaryHosts().size(), r.hosts().size())));
        return new Step(advanced, actions, d);
    }

    /** No host of the wave runs the version or has reported on it. */
    private static boolean noneServed(Rollout r, Map<String, HostObservation> byHost) {
        for (String h : r.canaryHosts()) {
            HostObservation o = byHost.get(h);
            if (o != null && (Integer.valueOf(r.toVersion()).equals(o.appliedVersion()) || o.servingSince() != null)) return false;
        }
        return true;
    }

    /** The line for people; the stage itself travels as {@link RolloutEvent.HostFailed}. */
    static String hostFailureReason(String host, int version, AgentProtocol.HostFailure f) {
        return switch (f.stage()) {
            case PREFLIGHT -> "host " + host + " caught v" + version + " in preflight, before any user request: " + f.message();
            case WATCHDOG -> "host " + host + " reverted v" + version + " by its local watchdog: " + f.message();
            case APPLY -> "host " + host + " failed to apply v" + version + ": " + f.message();
        };
    }

    private static Step fail(Rollout r, Instant now, String reason, Grounds grounds) {
        return fail(r, now, reason, grounds, (RolloutEvent.HostFailed) null);
    }

    private static Step fail(Rollout r, Instant now, String reason, Grounds grounds, RolloutEvent.HostFailed cause) {
        return fail(r, now, reason, grounds, new Analysis.Decision(Analysis.Verdict.FAIL, Analysis.Check.NONE, reason, grounds), cause);
    }

    private static Step fail(Rollout r, Instant now, String reason, Grounds grounds, Analysis.Decision d,
                             RolloutEvent.HostFailed cause) {
        if (r.policy().onFailure() == RolloutPolicy.OnFailure.PAUSE) {
            RolloutEvent.PausedOnFailure paused = new RolloutEvent.PausedOnFailure(reason, grounds, r.canaryHosts());
            return new Step(r.with(Rollout.State.PAUSED, r.wave(), r.waveStartedAt(), now, paused.message()),
                    List.of(new Action.Emit(paused)), d);
        }
        RolloutEvent.RollbackStarted rollback = new RolloutEvent.RollbackStarted(true, null, reason, grounds, r.canaryHosts(),
                r.fromVersion(), cause);
        return new Step(r.with(Rollout.State.ROLLED_BACK, r.wave(), r.waveStartedAt(), now, rollback.message()),
                rollbackActions(r, rollback), d);
    }

    /** Every host of the rollout back to the old version at once: no waves for a rollback. A rolled-back version is bad. */
    static List<Action> rollbackActions(Rollout r, RolloutEvent event) {
        List<Action> actions = new ArrayList<>();
        actions.add(new Action.Assign(r.hosts(), r.fromVersion()));
        if (event instanceof RolloutEvent.RollbackStarted) actions.add(new Action.MarkBad(r.toVersion(), event.message()));
        actions.add(new Action.Emit(event));
        return actions;
    }

    public static Step pause(Rollout r, Instant now, String who) {
        requireState(r, Rollout.State.RUNNING, "pause");
        return new Step(r.with(Rollout.State.PAUSED, r.wave(), r.waveStartedAt(), now, "paused by " + who),
                List.of(new Action.Emit(new RolloutEvent.Paused(who))), null);
    }

    /**
     * A health source that should speak for the rollout's hosts is silent: no data is no evidence, so the rollout
     * waits for a person (or for data: resuming re-checks at once) instead of passing on silence.
     */
    public static Step noData(Rollout r, Instant now, String why) {
        requireState(r, Rollout.State.RUNNING, "pause");
        RolloutEvent.NoData event = new RolloutEvent.NoData(r.wave() + 1, why);
        return new Step(r.with(Rollout.State.PAUSED, r.wave(), r.waveStartedAt(), now, event.message()),
                List.of(new Action.Emit(event)), null);
    }

    public static Step resume(Rollout r, Instant now, String who) {
        requireState(r, Rollout.State.PAUSED, "resume");
        // the bake of the current wave starts over: a paused wave proved nothing while nobody watched
        return new Step(r.with(Rollout.State.RUNNING, r.wave(), now, now, null),
                List.of(new Action.Emit(new RolloutEvent.Resumed(who))), null);
    }

    public static Step abort(Rollout r, Instant now, String who) {
        if (r.state().terminal()) throw new IllegalStateException("rollout is already " + r.state());
        return new Step(r.with(Rollout.State.ABORTED, r.wave(), r.waveStartedAt(), now, "aborted by " + who),
                rollbackActions(r, new RolloutEvent.Aborted(who, r.canaryHosts(), r.fromVersion())), null);
    }

    public static Step rollback(Rollout r, Instant now, String who, String reason) {
        if (r.state() == Rollout.State.ROLLED_BACK || r.state() == Rollout.State.ABORTED) {
            throw new IllegalStateException("rollout is already " + r.state());
        }
        RolloutEvent.RollbackStarted rollback = new RolloutEvent.RollbackStarted(false, who, reason, null, r.canaryHosts(),
                r.fromVersion());
        return new Step(r.with(Rollout.State.ROLLED_BACK, r.wave(), r.waveStartedAt(), now, rollback.message()),
                rollbackActions(r, rollback), null);
    }

    private static void requireState(Rollout r, Rollout.State s, String what) {
        if (r.state() != s) throw new IllegalStateException("cannot " + what + " a rollout that is " + r.state());
    }
}
