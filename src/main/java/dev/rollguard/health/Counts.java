package dev.rollguard.health;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Requests, 5xx and p99 latency summed over health samples: the one sum the analysis, the incidents and the
 * dashboard use. Which samples count is the caller's explicit choice, because the callers differ on purpose: a
 * health breach counts only samples that started inside its window ({@link #startedSince}), the analysis and the
 * recovery check every sample that overlaps it ({@link #endedSince}).
 */
public record Counts(long requests, long errors, double p99Millis, long latencySamples) {
    public static final Counts EMPTY = new Counts(0, 0, 0, 0);

    public double errorRate() { return requests == 0 ? 0 : (double) errors / requests; }

    /** 5xx share in percent, -1 without traffic. */
    public double errorPercent() { return requests == 0 ? -1 : 100.0 * errors / requests; }

    public Counts plus(Counts o) {
        return new Counts(requests + o.requests, errors + o.errors, Math.max(p99Millis, o.p99Millis), latencySamples + o.latencySamples);
    }

    /** The samples {@code counted} accepts, summed; p99 is the worst of the samples that measured latency. */
    public static Counts of(Iterable<HealthStore.Sample> samples, Predicate<HealthStore.Sample> counted) {
        long requests = 0;
        long errors = 0;
        long latencySamples = 0;
        double p99 = 0;
        for (HealthStore.Sample s : samples) {
            if (!counted.test(s)) continue;
            requests += s.requests();
            errors += s.errors();
            latencySamples += s.latencySamples();
            if (s.latencySamples() > 0) p99 = Math.max(p99, s.p99Millis());
        }
        return new Counts(requests, errors, p99, latencySamples);
    }

    /** Every host's samples {@code counted} accepts, summed. */
    public static Counts of(Map<String, ? extends Collection<HealthStore.Sample>> byHost, Predicate<HealthStore.Sample> counted) {
        Counts c = EMPTY;
        for (Collection<HealthStore.Sample> host : byHost.values()) c = c.plus(of(host, counted));
        return c;
    }

    /** Samples that overlap a window starting at {@code since}: they ended at or after it. */
    public static Predicate<HealthStore.Sample> endedSince(Instant since) {
        return s -> !s.end().isBefore(since);
    }

    /** Samples wholly inside a window starting at {@code since}: they started at or after it. */
    public static Predicate<HealthStore.Sample> startedSince(Instant since) {
        return s -> !s.start().isBefore(since);
    }

    /** Samples of a host that had a config: a host without one is not in service, its answers are no outage. */
    public static Predicate<HealthStore.Sample> inService() {
        return s -> s.version() != null;
    }

    /** Samples served by {@code version}; any version when it is null. */
    public static Predicate<HealthStore.Sample> onVersion(Integer version) {
        return s -> version == null || version.equals(s.version());
    }

    public static Predicate<HealthStore.Sample> all() {
        return s -> true;
    }
}
