package dev.rollguard.agent;

import java.io.IOException;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The server answered 5xx (or refused the channel so): the agent backs off as from any failure, and no sooner than the
 * answer's Retry-After when it gave one. A server out of database connections during 10,000 upgrades says 503 with
 * Retry-After, and its agents coming back at once would only keep it there.
 */
final class Unavailable extends IOException {
    /** A Retry-After longer than this is taken as this: an agent that hears nothing for minutes is as good as down. */
    static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(5);

    /** What the server said to wait (null: it did not say). */
    final Duration retryAfter;

    Unavailable(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    /** The answer's Retry-After in seconds (the form Rollguard's servers send; an HTTP date or a bad value is ignored). */
    static Duration retryAfter(HttpHeaders headers) {
        String v = headers.firstValue("Retry-After").orElse(null);
        if (v == null || !v.trim().matches("\\d{1,6}")) return null;
        Duration d = Duration.ofSeconds(Long.parseLong(v.trim()));
        return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
    }

    /**
     * How long to wait: {@code backoff}, or Retry-After with up to half again at random when that is longer (so a fleet
     * told the same Retry-After does not come back in the same instant).
     */
    static long waitMillis(long backoffMillis, Throwable failure) {
        if (!(failure instanceof Unavailable u) || u.retryAfter == null) return backoffMillis;
        long told = u.retryAfter.toMillis();
        return Math.max(backoffMillis, told + (long) (told * 0.5 * ThreadLocalRandom.current().nextDouble()));
    }
}
