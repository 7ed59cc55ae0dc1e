package dev.rollguard.web;

import jakarta.servlet.http.HttpServletRequest;
import org.eclipse.jetty.server.Request;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drops request bodies that arrive too slowly. A body holds its share of the memory budget while it is read, so one
 * that trickles in (a byte every ten seconds) would hold it for hours. While a body is read, a watch checks every
 * second that, after a grace period, it has arrived at {@link #MIN_RATE} bytes a second on average; if not, the
 * connection is closed under the blocked read, which then fails and gives the share back. (Jetty's own minimum data
 * rate counts from the first byte to whenever the handler reads again, and so refuses small bodies read a few
 * milliseconds late on a busy machine.)
 */
final class SlowBodies {
    /** The slowest average rate, in bytes per second, at which a body may arrive after the grace period. */
    static final long MIN_RATE = 32 * 1024;
    static final long GRACE_MILLIS = 10_000;

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "slow-body-watch");
        t.setDaemon(true);
        return t;
    });

    private SlowBodies() {}

    /** Whether a body {@code millis} into its read, of which {@code bytes} have arrived, is too slow. */
    static boolean tooSlow(long bytes, long millis) {
        return millis > GRACE_MILLIS && bytes < MIN_RATE * (millis - GRACE_MILLIS) / 1000;
    }

    /** Watches one body's read; {@link #arrived} counts its bytes, {@link #close} ends the watch. */
    static final class Watch implements AutoCloseable {
        private final AtomicLong bytes = new AtomicLong();
        private final long start = System.nanoTime();
        private final ScheduledFuture<?> check;
        private volatile boolean dropped;

        Watch(HttpServletRequest req) {
            check = TIMER.scheduleWithFixedDelay(() -> {
                if (!dropped && tooSlow(bytes.get(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))) {
                    dropped = true;
                    Request.getBaseRequest(req).getHttpChannel().getEndPoint().close();
                }
            }, 1, 1, TimeUnit.SECONDS);
        }

        void arrived(int n) {
            bytes.addAndGet(n);
        }

        /** Whether this watch closed the connection (the read then fails). */
        boolean dropped() {
            return dropped;
        }

        @Override
        public void close() {
            check.cancel(false);
        }
    }
}
