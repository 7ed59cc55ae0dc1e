package dev.rollguard.agent;

import dev.rollguard.net.CappedBody;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Requests configured URLs on an interval; a failed connection or a 5xx counts as an error. */
public final class HttpProbe implements AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "http-probe");
        t.setDaemon(true);
        return t;
    });

    public HttpProbe(List<String> urls, Duration interval, HealthWindow window) {
        timer.scheduleWithFixedDelay(() -> {
            for (String url : urls) {
                long start = System.nanoTime();
                int status;
                try {
                    // only the status counts; the body is read (to reuse the connection) up to a bound and a deadline
                    status = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).build(),
                            CappedBody.handler(64 * 1024, TIMEOUT)).statusCode();
                } catch (Exception e) {
                    status = 0;
                }
                window.record(status, (System.nanoTime() - start) / 1e6);
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
