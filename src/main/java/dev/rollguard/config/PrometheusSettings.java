package dev.rollguard.config;

import dev.rollguard.Problem;

import java.net.URI;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A service's Prometheus as a health source: the server and PromQL queries giving, per host, requests per second,
 * 5xx per second and (optionally) p99 latency in seconds. Queries are templates: {@code $host}, {@code $env},
 * {@code $version} and {@code $service} are replaced by the host's values (escaped for a PromQL string).
 */
public record PrometheusSettings(String url, String requests, String errors, String latency, Integer intervalSeconds,
                                 Integer timeoutSeconds) {
    private static final Pattern RANGE = Pattern.compile("\\[((?:\\d+(?:ms|s|m|h|d|w|y))+)(?::[^\\]]*)?]");
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w|y)");

    public PrometheusSettings {
        if (url == null || url.isBlank()) throw Problem.badRequest("invalid_spec", "prometheus.url is required");
        URI u;
        try {
            u = URI.create(url.strip());
        } catch (IllegalArgumentException e) {
            throw Problem.badRequest("invalid_spec", "prometheus.url is not a URL: " + url);
        }
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
            throw Problem.badRequest("invalid_spec", "prometheus.url must be an http(s) URL: " + url);
        }
        url = url.strip().replaceAll("/+$", "");
        if (requests == null || requests.isBlank()) throw Problem.badRequest("invalid_spec", "prometheus.requests (a PromQL query) is required");
        if (errors == null || errors.isBlank()) throw Problem.badRequest("invalid_spec", "prometheus.errors (a PromQL query) is required");
        if (latency != null && latency.isBlank()) latency = null;
        intervalSeconds = intervalSeconds == null ? 1 : intervalSeconds;
        timeoutSeconds = timeoutSeconds == null ? 2 : timeoutSeconds;
        if (intervalSeconds < 1 || intervalSeconds > 300) throw Problem.badRequest("invalid_spec", "prometheus.intervalSeconds must be 1 to 300");
        if (timeoutSeconds < 1 || timeoutSeconds > 60) throw Problem.badRequest("invalid_spec", "prometheus.timeoutSeconds must be 1 to 60");
    }

    /**
     * How long a host's answers still mix in the version it ran before: the longest range in the queries (a 30 s
     * rate after a change is 30 s of old and new). Until then its samples are not counted for either version.
     */
    public Duration settle() {
        Duration d = longestRange(requests);
        d = max(d, longestRange(errors));
        return latency == null ? d : max(d, longestRange(latency));
    }

    /**
     * The longest range selector in a query ({@code rate(x[30s])} → 30 s; 0 without one): how long after a change its
     * answer still speaks of what was before.
     */
    public static Duration longestRange(String query) {
        long longest = 0;
        Matcher m = RANGE.matcher(query);
        while (m.find()) {
            long ms = 0;
            Matcher p = PART.matcher(m.group(1));
            while (p.find()) {
                long n = Long.parseLong(p.group(1));
                ms += switch (p.group(2)) {
                    case "ms" -> n;
                    case "s" -> n * 1000;
                    case "m" -> n * 60_000;
                    case "h" -> n * 3_600_000;
                    case "d" -> n * 86_400_000;
                    case "w" -> n * 604_800_000;
                    default -> n * 31_536_000_000L;
                };
            }
            longest = Math.max(longest, ms);
        }
        return Duration.ofMillis(longest);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /**
     * The shortest bake that lets a wave be judged on its canary's own traffic: the queries' look-back, two polls
     * and a timeout. A shorter wave would pass before Prometheus could show anything of the new version.
     */
    public long minimumBakeSeconds() {
        return (settle().toMillis() + 999) / 1000 + 2L * intervalSeconds + timeoutSeconds;
    }

    /** How long a host may go without an answer before its data counts as missing: a few polls and a timeout. */
    public long staleAfterSeconds() {
        return Math.max(5, 3L * intervalSeconds + timeoutSeconds);
    }
}
