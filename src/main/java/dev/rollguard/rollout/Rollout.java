package dev.rollguard.rollout;

import dev.rollguard.config.RolloutPolicy;

import java.time.Instant;
import java.util.List;

/**
 * A version going out to an environment's hosts in waves. {@code hosts} is the fleet at the start, in
 * assignment order: the first {@code targets[wave]} of them are on (or going to) {@code toVersion}.
 */
public record Rollout(String id, String service, String env, Integer fromVersion, int toVersion, List<String> hosts,
                      RolloutPolicy policy, State state, int wave, Instant waveStartedAt, Instant createdAt,
                      Instant updatedAt, String actor, String breakGlass, String reason) {

    public enum State {
        RUNNING, PAUSED, COMPLETE, ROLLED_BACK, ABORTED;

        public boolean terminal() { return this == COMPLETE || this == ROLLED_BACK || this == ABORTED; }
    }

    public Rollout {
        hosts = List.copyOf(hosts);
    }

    public int[] targets() { return policy.targets(hosts.size()); }

    /** Hosts assigned the new version so far. */
    public List<String> canaryHosts() {
        if (hosts.isEmpty()) return List.of();
        return hosts.subList(0, targets()[Math.min(wave, targets().length - 1)]);
    }

    public List<String> baselineHosts() {
        return hosts.subList(canaryHosts().size(), hosts.size());
    }

    Rollout with(State s, int w, Instant waveStart, Instant now, String why) {
        return new Rollout(id, service, env, fromVersion, toVersion, hosts, policy, s, w, waveStart, createdAt, now, actor,
                breakGlass, why);
    }
}
