package dev.rollguard.net;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An answer's body read under a size and a time bound. The JDK's handlers read a body whole ({@code ofString}) or to
 * its end ({@code discarding}), and a request's time-out ends at the headers: a receiver answering with an endless or
 * trickling body would hold the heap or the connection for ever. Here the body stops at {@code maxBytes} (the
 * connection is dropped and the answer is marked truncated) and fails with {@link HttpTimeoutException} if it has not
 * ended within the deadline after the headers.
 */
public final class CappedBody {
    /** What was read; {@code truncated} when the body went on past the cap (the rest was never read). */
    public record Text(String text, boolean truncated) {}

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "capped-body-timer");
        t.setDaemon(true);
        return t;
    });

    private CappedBody() {}

    /** A handler reading at most {@code maxBytes} of the body (decoded as UTF-8, leniently) within {@code deadline}. */
    public static HttpResponse.BodyHandler<Text> handler(int maxBytes, Duration deadline) {
        return info -> new Subscriber(maxBytes, deadline);
    }

    private static final class Subscriber implements HttpResponse.BodySubscriber<Text> {
        private final int maxBytes;
        private final Duration deadline;
        private final CompletableFuture<Text> result = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private Flow.Subscription subscription;
        private ScheduledFuture<?> timeout;

        Subscriber(int maxBytes, Duration deadline) {
            this.maxBytes = maxBytes;
            this.deadline = deadline;
        }

        @Override
        public CompletionStage<Text> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            synchronized (this) {
                subscription = s;
            }
            timeout = TIMER.schedule(() -> {
                if (result.completeExceptionally(new HttpTimeoutException("the answer's body did not end within " + deadline.toMillis() + " ms"))) {
                    s.cancel();
                }
            }, deadline.toMillis(), TimeUnit.MILLISECONDS);
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            boolean full = false;
            synchronized (this) {
                if (result.isDone()) return;
                for (ByteBuffer b : items) {
                    int take = Math.min(b.remaining(), maxBytes - bytes.size());
                    byte[] chunk = new byte[take];
                    b.get(chunk);
                    bytes.write(chunk, 0, take);
                    if (b.hasRemaining()) {
                        full = true;
                        break;
                    }
                }
            }
            if (full) {
                finish(true);
                subscription.cancel();
            }
        }

        @Override
        public void onError(Throwable t) {
            if (timeout != null) timeout.cancel(false);
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            finish(false);
        }

        private void finish(boolean truncated) {
            if (timeout != null) timeout.cancel(false);
            String text;
            synchronized (this) {
                text = bytes.toString(StandardCharsets.UTF_8);
            }
            result.complete(new Text(text, truncated));
        }
    }
}
