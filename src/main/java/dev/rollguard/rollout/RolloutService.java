package dev.rollguard.rollout;

import dev.rollguard.Problem;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.health.Counts;
import dev.rollguard.health.HealthStore;
import dev.rollguard.versions.ConfigService;
import dev.rollguard.versions.VersionInfo;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Rollouts, as commands and queries: starting one (after {@link Promotion} allows it), steering it by hand (pause,
 * resume, abort, rollback) and reading them. Each command asks {@link RolloutMachine} for a step and hands it to the
 * {@link Orchestrator}, the one executor; the hosts themselves are the {@link HostRegistry}'s.
 */
public final class RolloutService {
    /** Draws each rollout's canary seed (recorded with its start). */
    private static final SecureRandom SEEDS = new SecureRandom();

    private final ConfigService config;
    private final RolloutStore store;
    private final HealthStore health;
    private final Orchestrator orchestrator;
    private final Observations observations;
    private final Clock clock;
    private volatile ApprovalGate approvals;

    public RolloutService(ConfigService config, RolloutStore store, HealthStore health, Orchestrator orchestrator,
                          Observations observations, Clock clock) {
        this.config = config;
        this.store = store;
        this.health = health;
        this.orchestrator = orchestrator;
        this.observations = observations;
        this.clock = clock;
    }

    /**
     * High-risk versions need a second person: the last environment (production) refuses one until someone other
     * than its author approved it. Break-glass does not lift this.
     */
    public void requireApprovals(BiFunction<String, Integer, List<String>> approversOf) {
        requireApprovals(approversOf, service -> List.of());
    }

    /** As above; {@code approvedVersions}: the versions of a service someone approved, newest first. */
    public void requireApprovals(BiFunction<String, Integer, List<String>> approversOf, Function<String, List<Integer>> approvedVersions) {
        this.approvals = new ApprovalGate(config, approversOf, approvedVersions);
    }

    /** Tells {@code listener} of every rollout event once it is committed (on the orchestrator's thread). */
    public void onEvent(Consumer<PostedEvent> listener) {
        orchestrator.onEvent(listener);
    }

    /**
     * Releases a version to an environment through a staged rollout, if {@link Promotion} allows it; a break-glass
     * reason (recorded on the rollout and in the timeline) lifts the order and bake of environments.
     */
    public Rollout start(String service, String env, int version, String actor, String breakGlass) {
        ServiceSpec spec = config.service(service);
        VersionInfo v = config.version(service, version);
        List<String> envs = spec.environments();
        int position = envs.indexOf(env);
        if (position < 0) throw Problem.notFound("unknown_environment", service + " has no environment '" + env + "'");
        if (breakGlass != null && breakGlass.isBlank()) throw Problem.badRequest("break_glass_reason_required", "break-glass needs a reason");
        Instant now = clock.instant();
        Integer from = config.released(service, env);
        boolean last = position == envs.size() - 1;
        // the approval reads trees and risk rules: only where it can matter
        Optional<String> approval = last && approvals != null && !v.bad() ? approvals.approvalNeeded(spec, from, v) : Optional.empty();
        Promotion.Previous previous = position == 0 ? null : new Promotion.Previous(envs.get(position - 1),
                config.released(service, envs.get(position - 1)), config.releases(service, envs.get(position - 1), version));
        Promotion.check(new Promotion.Request(v, env, last, from, approval, previous, spec.rollout().promotionBakeSeconds(), breakGlass, now))
                .ifPresent(refusal -> {
                    throw refusal.problem();
                });
        Duration heartbeat = spec.rollout().heartbeatTimeout();
        List<HostInfo> live = store.candidates(service, env).stream().filter(h -> h.alive(now, heartbeat)).toList();
        long seed = SEEDS.nextLong();
        List<String> fleet = CanaryChoice.order(live, spec.rollout().canary(), seed, now);
        Rollout r = new Rollout(UUID.randomUUID().toString(), service, env, from, version, fleet, spec.rollout(),
                Rollout.State.RUNNING, 0, now, now, now, actor, breakGlass, null);
        RolloutMachine.Step first = fleet.isEmpty()
                ? new RolloutMachine.Step(r.with(Rollout.State.COMPLETE, 0, now, now, "no hosts"),
                List.of(new Action.Released(version), new Action.Emit(new RolloutEvent.Completed(version, env, 0))), null)
                : RolloutMachine.start(r);
        orchestrator.begin(r, new RolloutEvent.Started(actor, env, from, version, fleet.size(), r.targets(), breakGlass, seed), first);
        return rollout(r.id());
    }

    public Rollout pause(String id, String actor) {
        return manual(id, r -> RolloutMachine.pause(r, clock.instant(), actor));
    }

    public Rollout resume(String id, String actor) {
        return manual(id, r -> RolloutMachine.resume(r, clock.instant(), actor));
    }

    public Rollout abort(String id, String actor) {
        return manual(id, r -> RolloutMachine.abort(r, clock.instant(), actor));
    }

    public Rollout rollback(String id, String actor, String reason) {
        return manual(id, r -> {
            RolloutMachine.Step s = RolloutMachine.rollback(r, clock.instant(), actor, reason);
            if (r.state() != Rollout.State.COMPLETE) return s;
            // the version is already the environment's: every host of the environment goes back, and the old version is
            // the released one again
            if (r.fromVersion() == null) throw Problem.conflict("nothing_to_roll_back_to", r.service() + "/" + r.env()
                    + " ran nothing before v" + r.toVersion());
            List<Action> actions = new ArrayList<>(s.actions());
            actions.add(0, new Action.Assign(store.hosts(r.service(), r.env()).stream().map(HostInfo::host).toList(), r.fromVersion()));
            actions.add(new Action.Released(r.fromVersion()));
            return new RolloutMachine.Step(s.rollout(), actions, null);
        });
    }

    /** The one-command rollback: the running rollout of an environment, or else its last completed one. */
    public Rollout rollbackEnv(String service, String env, String actor, String reason) {
        config.service(service);
        for (Rollout r : store.rollouts(service, env, 20)) {
            if (r.state() == Rollout.State.RUNNING || r.state() == Rollout.State.PAUSED || r.state() == Rollout.State.COMPLETE) {
                return rollback(r.id(), actor, reason);
            }
        }
        throw Problem.conflict("nothing_to_roll_back", "no rollout of " + service + " to " + env + " can be rolled back");
    }

    private Rollout manual(String id, Function<Rollout, RolloutMachine.Step> how) {
        for (int attempt = 0; attempt < 5; attempt++) {
            Rollout r = rollout(id);
            RolloutMachine.Step s;
            try {
                s = how.apply(r);
            } catch (IllegalStateException e) {
                throw Problem.conflict("invalid_state", e.getMessage());
            }
            if (orchestrator.apply(r, s)) return rollout(id);
        }
        throw Problem.conflict("concurrent_change", "the rollout kept changing; try again");
    }

    public Rollout rollout(String id) {
        return store.rollout(id).orElseThrow(() -> Problem.notFound("unknown_rollout", "no rollout " + id));
    }

    /** The rollout, if there is one by that id (an incident may outlive its rollout's row). */
    public Optional<Rollout> find(String id) {
        return store.rollout(id);
    }

    /** The hosts registered for an environment, as the last reports left them. */
    public List<HostInfo> hosts(String service, String env) {
        return store.hosts(service, env);
    }

    /** Newest first: a rollout's events, or (null id) the service's. */
    public List<EventRecord> events(String service, String rolloutId, int limit) {
        return store.events(service, rolloutId, limit);
    }

    /** Newest first. */
    public List<Rollout> rollouts(String service, String env, int limit) {
        return store.rollouts(service, env, limit);
    }

    /** Whether a rollout of the environment is running or paused (read without its hosts: a release names 10,000). */
    public boolean running(String service, String env) {
        return store.running(service, env);
    }

    /** Rollouts that are running or paused, of every service. */
    public List<Rollout> active() {
        return store.active();
    }

    /** An environment's traffic since {@code since} (samples that ended then or later), whatever its hosts serve. */
    public Counts traffic(String service, String env, Instant since) {
        return Counts.of(health.samplesByHost(service, env, since), Counts.endedSince(since));
    }

    /** One host's traffic since {@code since}, whatever it serves. */
    public Counts traffic(String service, String env, String host, Instant since) {
        return health.sum(service, env, host, null, since);
    }

    /** The dashboard's charts of a rollout ({@link Observations#series}). */
    public Map<String, List<Object>> series(Rollout r) {
        return observations.series(r);
    }

    /** What the orchestrator sees of each host of a rollout now ({@link Observations#of}). */
    public List<HostObservation> observe(Rollout r) {
        return observations.of(r);
    }
}
