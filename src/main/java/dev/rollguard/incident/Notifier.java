package dev.rollguard.incident;

import dev.rollguard.config.IncidentSettings;
import dev.rollguard.net.CappedBody;
import dev.rollguard.net.Outgoing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Delivers the webhook outbox: a worker of its own, so a slow or dead receiver never holds up a rollout or a
 * rollback. Failed deliveries are retried with exponential backoff and jitter (1 s doubling, at most 5 min
 * apart) for a day; nothing is dropped while the receiver is away, and order per incident and channel holds.
 */
public final class Notifier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Notifier.class);
    static final Duration GIVE_UP_AFTER = Duration.ofHours(24);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Only the status of an answer matters; a few KiB of its body are read so a kept-alive connection can be reused. */
    static final int ANSWER_CAP = 4096;

    private final IncidentStore store;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Object signal = new Object();
    private volatile boolean running;
    private boolean poked;
    private Thread worker;
    private volatile Consumer<Outcome> outcome = o -> {};
    private volatile BooleanSupplier duty = () -> true;

    /** Of several servers, only the lease holder delivers (so a webhook is not sent twice). */
    public void runOnlyWhen(BooleanSupplier duty) {
        this.duty = duty;
    }

    private final Outgoing outgoing;

    /** {@code outgoing}: where channels may send (the operator's address policy). */
    public Notifier(IncidentStore store, Clock clock, Outgoing outgoing) {
        this.store = store;
        this.clock = clock;
        this.outgoing = outgoing;
    }

    /** Told of every attempt's outcome by channel kind: "delivered", "failed" (will retry) or "gave_up" (for /metrics). */
    private volatile BiConsumer<IncidentSettings.Kind, String> attempts = (k, o) -> {};

    public void countAttempts(BiConsumer<IncidentSettings.Kind, String> counter) {
        this.attempts = counter;
    }

    /** What became of a webhook: delivered, or failed (and retried with backoff unless {@code gaveUp}). */
    public sealed interface Outcome {
        Notification notification();

        record Delivered(Notification notification) implements Outcome {}

        record Failed(Notification notification, String error, boolean gaveUp) implements Outcome {}
    }

    /** Told of each delivery and of the first and the last failure of each notification. */
    public void onOutcome(Consumer<Outcome> listener) {
        this.outcome = listener;
    }

    public synchronized void start() {
        if (worker != null) return;
        running = true;
        worker = new Thread(this::loop, "webhook-notifier");
        worker.setDaemon(true);
        worker.start();
    }

    /** Something was enqueued: deliver now rather than at the next poll. */
    public void wake() {
        synchronized (signal) {
            poked = true;
            signal.notifyAll();
        }
    }

    private void loop() {
        while (running) {
            try {
                if (duty.getAsBoolean()) deliverDue();
                long waitMs = 1000;
                Instant next = store.nextAttempt().orElse(null);
                if (next != null) waitMs = Math.max(10, Math.min(waitMs, Duration.between(clock.instant(), next).toMillis()));
                synchronized (signal) {
                    if (!poked) signal.wait(waitMs);
                    poked = false;
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) return;
                log.warn("webhook delivery pass failed: {}", e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** One pass: every due notification sent in parallel; returns how many were delivered. */
    public int deliverDue() {
        List<Notification> due = store.due(clock.instant(), 100);
        List<CompletableFuture<Boolean>> sends = new ArrayList<>();
        for (Notification n : due) sends.add(send(n));
        int ok = 0;
        for (CompletableFuture<Boolean> f : sends) if (f.join()) ok++;
        return ok;
    }

    private CompletableFuture<Boolean> send(Notification n) {
        Instant now = clock.instant();
        HttpRequest.Builder b;
        try {
            b = outgoing.request(URI.create(n.url())).timeout(REQUEST_TIMEOUT)
                    .header("Content-Type", "application/json").header("User-Agent", "Rollguard")
                    .header("X-Rollguard-Event", "incident." + n.action()).header("X-Rollguard-Delivery", n.id())
                    .POST(HttpRequest.BodyPublishers.ofString(n.payload()));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(fail(n, "invalid url: " + e.getMessage(), true));
        } catch (Outgoing.Refused e) {
            // the URL or the policy has to change: retrying would only ask again
            return CompletableFuture.completedFuture(fail(n, "not sent: " + e.getMessage(), true));
        }
        if (n.secret() != null && !n.secret().isEmpty()) {
            b.header(Webhooks.SIGNATURE_HEADER, Webhooks.signature(n.secret(), now.getEpochSecond(), n.payload()));
        }
        return http.sendAsync(b.build(), CappedBody.handler(ANSWER_CAP, REQUEST_TIMEOUT)).handle((r, e) -> {
            if (e != null) return fail(n, e.getCause() != null ? e.getCause().toString() : e.toString(), false);
            int s = r.statusCode();
            if (s >= 200 && s < 300) {
                store.delivered(n.id(), n.attempts() + 1, clock.instant());
                attempts.accept(n.kind(), "delivered");
                outcome.accept(new Outcome.Delivered(n));
                return true;
            }
            // a receiver that rejects the request itself will reject it again: only overload and outages are retried
            boolean permanent = s >= 400 && s < 500 && s != 408 && s != 429;
            // the status alone: what a receiver answers (any address a channel names) is never shown to people
            return fail(n, "HTTP " + s, permanent);
        });
    }

    private boolean fail(Notification n, String error, boolean permanent) {
        Instant now = clock.instant();
        int attempts = n.attempts() + 1;
        boolean giveUp = permanent || Duration.between(n.createdAt(), now).compareTo(GIVE_UP_AFTER) > 0;
        store.failed(n.id(), attempts, now.plus(backoff(attempts)), error, giveUp);
        this.attempts.accept(n.kind(), giveUp ? "gave_up" : "failed");
        if (attempts <= 3 || giveUp) {
            log.warn("webhook {} to channel {} failed (attempt {}{}): {}", n.action(), n.channel(), attempts, giveUp ? ", giving up" : "", error);
        }
        if (attempts == 1 || giveUp) outcome.accept(new Outcome.Failed(n, error, giveUp));
        return false;
    }

    /** 1 s, 2 s, 4 s … at most 5 min, each ±20 %: receivers coming back are not hit by every retry at once. */
    static Duration backoff(int attempts) {
        long base = Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(attempts - 1, 20));
        return Duration.ofMillis((long) (base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble())));
    }

    @Override
    public synchronized void close() {
        running = false;
        if (worker != null) {
            worker.interrupt();
            try {
                worker.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            worker = null;
        }
    }
}
