package dev.rollguard.agent;

import java.time.Duration;
import java.util.Locale;

/**
 * The agent's local watchdog decision: after a switch, is what this host serves failing hard enough to revert at
 * once, without waiting for the server's analysis? Pure: counts in, decision out.
 */
public final class Watchdog {
    private Watchdog() {}

    /**
     * @param window       how long after the switch the watchdog watches
     * @param minRequests  fewer requests than this never trigger a revert (one unlucky request is no verdict)
     * @param errorShare   the share of 5xx (or failed connections) at or above which the version is reverted
     */
    public record Settings(Duration window, long minRequests, double errorShare) {
        /**
         * 80 % over at least 5 requests: the server's ceiling rule acts on 5 errors too, and a watchdog that needed more
         * evidence than the server would never act first.
         */
        public static final Settings DEFAULT = new Settings(Duration.ofSeconds(10), 5, 0.8);

        public Settings {
            if (window == null || window.isNegative() || window.isZero()) throw new IllegalArgumentException("watchdog window must be positive");
            if (minRequests < 1) throw new IllegalArgumentException("watchdog minRequests must be at least 1");
            if (!(errorShare > 0 && errorShare <= 1)) throw new IllegalArgumentException("watchdog errorShare must be in (0, 1]");
        }
    }

    public sealed interface Decision permits Keep, Revert {}

    public record Keep() implements Decision {}

    public record Revert(long requests, long errors, String reason) implements Decision {}

    /** Requests and errors served since the switch, {@code elapsed} after it. */
    public static Decision decide(long requests, long errors, Duration elapsed, Settings s) {
        if (requests < s.minRequests() || elapsed.compareTo(s.window()) > 0) return new Keep();
        if (errors < Math.ceil(s.errorShare() * requests)) return new Keep();
        return new Revert(requests, errors, String.format(Locale.ROOT,
                "local watchdog: %d of %d requests failed (%.0f%%, limit %.0f%% over at least %d) %.1f s after the switch; reverted locally",
                errors, requests, 100.0 * errors / requests, 100 * s.errorShare(), s.minRequests(), elapsed.toMillis() / 1000.0));
    }
}
