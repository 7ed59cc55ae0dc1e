package dev.rollguard.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.time.Instant;

/**
 * One reporting window of one host, as the agent sends it: requests, 5xx and p99 latency on the version it was serving;
 * from newer agents also the latency histogram over {@link LatencyHistogram}'s buckets (null from older ones: the
 * analysis then judges p99). The server keeps what it receives in its own type ({@code health.HealthStore.Sample}), so
 * the wire and the store change apart.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HealthSample(Instant start, Instant end, Integer version, long requests, long errors, double p99Millis,
                           long latencySamples, Instant firstErrorAt, long[] latencyBuckets) {
    public HealthSample {
        if (requests < 0 || errors < 0 || errors > requests) throw new IllegalArgumentException("sample counts out of range");
        if (start == null || end == null) throw new IllegalArgumentException("sample needs start and end");
        if (errors == 0) firstErrorAt = null;
        if (latencyBuckets != null && latencyBuckets.length != LatencyHistogram.BUCKETS) latencyBuckets = null;
    }
}
