package dev.rollguard.agent;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Locale;

/**
 * The agent's local watchdog decision: after a switch, is what this host serves failing hard enough to revert at
 * once, without waiting for the server's analysis? Pure: counts in, decision out.
 */
public final class Watchdog {
    /**
     * The trailing stretch judged beside the whole time since the switch: after a graceful restart the old workers'
     * last answers (successes) are logged after the switch, and counted from the switch alone the new version's
     * failures must first outnumber them, which at a few requests a second can outlast the window.
     */
    static final Duration RECENT = Duration.ofSeconds(3);

    private Watchdog() {}

    /**
     * One switch watched: the host's request totals observed over time, judged from the switch and over the last
     * {@link #RECENT} (the stretch whose first observation is at most that old). Not thread-safe: one watching thread.
     */
    public static final class Watch {
        private final Settings settings;
        private final long startNanos;
        private final long[] start;
        /** {nanos, requests, errors} of the observations in the trailing stretch, oldest first. */
        private final ArrayDeque<long[]> recent = new ArrayDeque<>();

        /** {@code totals}: the host's {requests, errors} at the switch, at {@code nanos}. */
        public Watch(Settings settings, long nanos, long[] totals) {
            this.settings = settings;
            this.startNanos = nanos;
            this.start = totals.clone();
            recent.addLast(new long[] {nanos, totals[0], totals[1]});
        }

        /** Whether the watch is over at {@code nanos} (its window has passed). */
        public boolean over(long nanos) {
            return Duration.ofNanos(nanos - startNanos).compareTo(settings.window()) > 0;
        }

        /** The decision with the host's {requests, errors} totals at {@code nanos}. */
        public Decision observe(long nanos, long[] totals) {
            Duration elapsed = Duration.ofNanos(nanos - startNanos);
            recent.addLast(new long[] {nanos, totals[0], totals[1]});
            while (recent.size() > 1 && nanos - recent.peekFirst()[0] > RECENT.toNanos()) recent.pollFirst();
            Decision since = decide(totals[0] - start[0], totals[1] - start[1], elapsed, settings);
            if (since instanceof Revert) return since;
            long[] from = recent.peekFirst();
            return decide(totals[0] - from[1], totals[1] - from[2], elapsed, settings);
        }
    }

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
