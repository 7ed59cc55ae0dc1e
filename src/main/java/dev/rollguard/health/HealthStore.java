package dev.rollguard.health;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.rollguard.protocol.HealthSample;
import dev.rollguard.protocol.LatencyHistogram;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Recent health samples per host, as reported by agents every second. Bounded by age and count: the
 * analysis needs the last minutes, not history (incidents keep their own summary).
 */
public final class HealthStore {
    /**
     * One reporting window of one host: requests, 5xx, p99 latency, on the version it was serving; from newer agents also
     * the latency histogram over {@link LatencyHistogram}'s buckets (null from older ones: the analysis then judges p99).
     * From an agent's {@link HealthSample} or from Prometheus.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Sample(Instant start, Instant end, Integer version, long requests, long errors, double p99Millis,
                         long latencySamples, Instant firstErrorAt, long[] latencyBuckets) {
        public Sample {
            if (requests < 0 || errors < 0 || errors > requests) throw new IllegalArgumentException("sample counts out of range");
            if (start == null || end == null) throw new IllegalArgumentException("sample needs start and end");
            if (errors == 0) firstErrorAt = null;
            if (latencyBuckets != null && latencyBuckets.length != LatencyHistogram.BUCKETS) latencyBuckets = null;
        }

        public Sample(Instant start, Instant end, Integer version, long requests, long errors, double p99Millis, long latencySamples,
                      Instant firstErrorAt) {
            this(start, end, version, requests, errors, p99Millis, latencySamples, firstErrorAt, null);
        }


        public Sample(Instant start, Instant end, Integer version, long requests, long errors, double p99Millis, long latencySamples) {
            this(start, end, version, requests, errors, p99Millis, latencySamples, null);
        }

        /** What an agent reported, as kept here. */
        public static Sample of(HealthSample s) {
            return new Sample(s.start(), s.end(), s.version(), s.requests(), s.errors(), s.p99Millis(), s.latencySamples(), s.firstErrorAt(),
                    s.latencyBuckets());
        }

        /** When the first 5xx of this window happened: exact when the reporter knew it, else the window's start. */
        public Instant firstError() {
            return errors == 0 ? null : firstErrorAt != null ? firstErrorAt : start;
        }
    }

    private static final Duration RETENTION = Duration.ofMinutes(15);
    private static final int MAX_PER_HOST = 4000;

    private final Map<String, Deque<Sample>> byHost = new ConcurrentHashMap<>();
    /**
     * By environment, the hosts whose samples changed since the orchestrator's view last asked ({@link #takeChanged}), so
     * that it recomputes those hosts' evidence and no others; only the environments it watches ({@link #watch}).
     */
    private final ChangedHosts<Boolean> changed = new ChangedHosts<>();

    private static String key(String service, String env, String host) {
        return service + '\0' + env + '\0' + host;
    }

    /** Told of every report received here (not of those copied from other servers), to share it. */
    public interface Listener {
        void reported(String service, String env, String host, List<Sample> samples);
    }

    private volatile Listener listener = (s, e, h, x) -> {};

    public void onReport(Listener l) {
        this.listener = l;
    }

    /** A report an agent sent to this server. */
    public void report(String service, String env, String host, List<Sample> samples, Instant now) {
        add(service, env, host, samples, now);
        if (samples != null && !samples.isEmpty()) listener.reported(service, env, host, samples);
    }

    public void add(String service, String env, String host, List<Sample> samples, Instant now) {
        if (samples == null || samples.isEmpty()) return;
        Deque<Sample> q = byHost.computeIfAbsent(key(service, env, host), k -> new ArrayDeque<>());
        synchronized (q) {
            // reports are at least once: an agent resends what it has not heard acknowledged (a lost answer, two reports
            // racing around an apply), and a window counted twice would count its failures twice
            for (Sample s : samples) if (!stored(q, s)) q.addLast(s);
            Instant cutoff = now.minus(RETENTION);
            while (!q.isEmpty() && (q.size() > MAX_PER_HOST || q.peekFirst().end().isBefore(cutoff))) q.pollFirst();
        }
        changed.mark(service, env, host, Boolean.TRUE);
    }

    /**
     * The hosts of an environment whose samples changed since the last call, forgotten as they are taken. One reader (the
     * orchestrator's view of its rollout); a change made while it reads stays for its next call.
     */
    public Set<String> takeChanged(String service, String env) {
        return changed.take(service, env).keySet();
    }

    /** The environments whose changed hosts {@link #takeChanged} is to answer from now on (those of running rollouts). */
    public void watch(Set<ChangedHosts.Env> envs) {
        changed.watch(envs);
    }

    /** Whether a window with this start is already among the newest samples (searched back to before its start). */
    private static boolean stored(Deque<Sample> q, Sample s) {
        for (var it = q.descendingIterator(); it.hasNext(); ) {
            Sample x = it.next();
            if (x.start().equals(s.start()) && x.end().equals(s.end())) return true;
            if (x.end().isBefore(s.start())) return false;
        }
        return false;
    }

    /** Totals of a host's samples on {@code version} (any version if null) that ended after {@code since}. */
    public Counts sum(String service, String env, String host, Integer version, Instant since) {
        Deque<Sample> q = byHost.get(key(service, env, host));
        if (q == null) return Counts.EMPTY;
        synchronized (q) {
            return Counts.of(q, Counts.endedSince(since).and(Counts.onVersion(version)));
        }
    }

    /** A host's samples on {@code version} (any version if null) that ended after {@code since}, oldest first. */
    public List<Sample> samples(String service, String env, String host, Integer version, Instant since) {
        Deque<Sample> q = byHost.get(key(service, env, host));
        if (q == null) return List.of();
        synchronized (q) {
            return q.stream().filter(Counts.endedSince(since).and(Counts.onVersion(version))).toList();
        }
    }

    /** Every host of an environment with its samples that ended after {@code since}. */
    public Map<String, List<Sample>> samplesByHost(String service, String env, Instant since) {
        String prefix = service + '\0' + env + '\0';
        Map<String, List<Sample>> out = new TreeMap<>();
        byHost.forEach((k, q) -> {
            if (!k.startsWith(prefix)) return;
            synchronized (q) {
                out.put(k.substring(prefix.length()), new ArrayList<>(q.stream().filter(s -> !s.end().isBefore(since)).toList()));
            }
        });
        return out;
    }

    public List<Sample> samples(String service, String env, String host, Instant since) {
        Deque<Sample> q = byHost.get(key(service, env, host));
        if (q == null) return List.of();
        synchronized (q) {
            return new ArrayList<>(q.stream().filter(s -> !s.end().isBefore(since)).toList());
        }
    }
}
