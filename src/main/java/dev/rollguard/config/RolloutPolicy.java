package dev.rollguard.config;


import java.time.Duration;
import java.util.List;

/**
 * How a service rolls out: waves (a host count or a percentage of the environment's hosts, each with a
 * bake time), the analysis thresholds, and how long a version must stay healthy in one environment
 * before the next accepts it.
 */
public record RolloutPolicy(List<Wave> waves, AnalysisSettings analysis, Integer promotionBakeSeconds,
                            Integer heartbeatTimeoutSeconds, OnFailure onFailure, Canary canary) {
    /**
     * What a failed analysis does: roll every host back at once (the default), or only pause the rollout and leave
     * the decision to a person (for services where an automatic rollback is itself risky).
     */
    public enum OnFailure { ROLLBACK, PAUSE }

    public record Wave(Integer hosts, Integer percent, Integer bakeSeconds) {
        public Wave {
            if ((hosts == null) == (percent == null)) throw new IllegalArgumentException("a wave has either hosts or percent");
            if (hosts != null && hosts < 1) throw new IllegalArgumentException("wave hosts must be >= 1");
            if (percent != null && (percent < 1 || percent > 100)) throw new IllegalArgumentException("wave percent must be 1..100");
            bakeSeconds = bakeSeconds == null ? 30 : bakeSeconds;
            if (bakeSeconds < 0) throw new IllegalArgumentException("bakeSeconds must be >= 0");
        }

        /** Cumulative number of hosts on the new version once this wave is out. */
        int target(int fleet) {
            int n = hosts != null ? hosts : (int) Math.ceil(fleet * percent / 100.0);
            return Math.max(1, Math.min(fleet, n));
        }
    }

    /**
     * Which hosts go first. Hosts carrying {@code label} ({@code key=value}, or a bare {@code key}), then hosts registered
     * at least {@code minAgeSeconds} ago, then the rest; in random order within each group (a seed recorded with the
     * rollout). Never by name: a newly registered host named {@code aaa-0} must not become every rollout's canary.
     *
     * <p>{@code hosts}: how many canary hosts the first wave takes at least, once the fleet has {@code minFleet} hosts
     * (default 1 and 20). Two canaries double the evidence a bake gathers (the analysis pools their counts in one test,
     * so the false-alarm budget is the same) at the cost of one more host on the new version; in a small fleet that host
     * is a larger share of the traffic, so it waits for {@code minFleet}.
     */
    public record Canary(String label, Integer minAgeSeconds, Integer hosts, Integer minFleet) {
        public static final Canary DEFAULT = new Canary(null, 3600, null, null);

        public Canary {
            if (label != null && !label.matches("[A-Za-z0-9_.-]+(=[^,=]*)?")) {
                throw new IllegalArgumentException("canary.label must be key=value or key: '" + label + "'");
            }
            minAgeSeconds = minAgeSeconds == null ? 3600 : minAgeSeconds;
            if (minAgeSeconds < 0) throw new IllegalArgumentException("canary.minAgeSeconds must be >= 0");
            hosts = hosts == null ? 1 : hosts;
            minFleet = minFleet == null ? 20 : minFleet;
            if (hosts < 1) throw new IllegalArgumentException("canary.hosts must be >= 1");
            if (minFleet < 1) throw new IllegalArgumentException("canary.minFleet must be >= 1");
        }

        public Canary(String label, Integer minAgeSeconds) {
            this(label, minAgeSeconds, null, null);
        }

        /** The fewest hosts the first wave takes in a fleet of {@code fleet}: {@code hosts} once it has {@code minFleet}. */
        int firstWave(int fleet) {
            return fleet >= minFleet ? Math.min(hosts, fleet) : 1;
        }
    }

    public static final List<Wave> DEFAULT_WAVES = List.of(new Wave(1, null, 30), new Wave(null, 10, 30),
            new Wave(null, 50, 30), new Wave(null, 100, 30));

    public RolloutPolicy {
        waves = waves == null || waves.isEmpty() ? DEFAULT_WAVES : List.copyOf(waves);
        analysis = analysis == null ? AnalysisSettings.DEFAULT : analysis;
        promotionBakeSeconds = promotionBakeSeconds == null ? 60 : promotionBakeSeconds;
        heartbeatTimeoutSeconds = heartbeatTimeoutSeconds == null ? 10 : heartbeatTimeoutSeconds;
        onFailure = onFailure == null ? OnFailure.ROLLBACK : onFailure;
        canary = canary == null ? Canary.DEFAULT : canary;
    }

    public RolloutPolicy(List<Wave> waves, AnalysisSettings analysis, Integer promotionBakeSeconds, Integer heartbeatTimeoutSeconds,
                         OnFailure onFailure) {
        this(waves, analysis, promotionBakeSeconds, heartbeatTimeoutSeconds, onFailure, null);
    }

    public RolloutPolicy(List<Wave> waves, AnalysisSettings analysis, Integer promotionBakeSeconds, Integer heartbeatTimeoutSeconds) {
        this(waves, analysis, promotionBakeSeconds, heartbeatTimeoutSeconds, null);
    }

    /** How long a host may stay silent before it counts as dead ({@code rollout.HostInfo#alive} decides with it). */
    public Duration heartbeatTimeout() {
        return Duration.ofSeconds(heartbeatTimeoutSeconds);
    }

    public static RolloutPolicy defaults() {
        return new RolloutPolicy(null, null, null, null, null, null);
    }

    /**
     * Cumulative host counts per wave for a fleet; the first wave at least the canary hosts the fleet's size asks for
     * ({@link Canary#firstWave}), the last always every host.
     */
    public int[] targets(int fleet) {
        int[] t = new int[waves.size()];
        int prev = 0;
        for (int i = 0; i < t.length; i++) {
            t[i] = Math.max(i == 0 ? canary.firstWave(fleet) : prev, waves.get(i).target(fleet));
            prev = t[i];
        }
        if (t.length > 0) t[t.length - 1] = fleet;
        return t;
    }
}
