package dev.rollguard.rollout;

import dev.rollguard.health.Counts;
import dev.rollguard.health.HealthStore;
import dev.rollguard.protocol.LatencyHistogram;

import java.util.List;

/**
 * What the analysis judges: per host, the reporting windows it served on its version, as the agents sent them (one a
 * second). Plain data so that any source can produce it: the agents' reports today, a metrics system's per-host counts
 * tomorrow. Canary hosts run the new version; baseline hosts the old one.
 */
public record Evidence(List<HostWindows> canary, List<HostWindows> baseline) {
    public static final Evidence EMPTY = new Evidence(List.of(), List.of());

    public Evidence {
        canary = List.copyOf(canary);
        baseline = List.copyOf(baseline);
    }

    /** Agents' samples as windows, in their order. */
    public static List<Window> windows(List<HealthStore.Sample> samples) {
        return samples.stream().map(Window::of).toList();
    }

    /**
     * One host's windows on its version, oldest first; for a canary host also its windows on the old version before the
     * release ({@code before}), so the canary is judged against itself as well as against the other hosts.
     */
    public record HostWindows(String host, List<Window> windows, List<Window> before) {
        public HostWindows {
            windows = List.copyOf(windows);
            before = before == null ? List.of() : List.copyOf(before);
        }

        public HostWindows(String host, List<Window> windows) {
            this(host, windows, List.of());
        }
    }

    /**
     * One reporting window: requests, 5xx, the window's p99, how many latencies were seen, and (from agents that send
     * it) the latency histogram over {@link LatencyHistogram}'s fixed buckets; null when the reporter had none.
     */
    public record Window(long requests, long errors, double p99Millis, long latencySamples, long[] latencyBuckets) {
        public Window {
            if (requests < 0 || errors < 0 || errors > requests) throw new IllegalArgumentException("window counts out of range");
            if (latencyBuckets != null && latencyBuckets.length != LatencyHistogram.BUCKETS) {
                throw new IllegalArgumentException("latency histogram needs " + LatencyHistogram.BUCKETS + " buckets");
            }
        }

        public static Window of(Counts c) {
            return new Window(c.requests(), c.errors(), c.p99Millis(), c.latencySamples(), null);
        }

        public static Window of(HealthStore.Sample s) {
            return new Window(s.requests(), s.errors(), s.p99Millis(), s.latencySamples(), s.latencyBuckets());
        }
    }
}
