package dev.rollguard.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.net.CappedBody;
import dev.rollguard.net.Outgoing;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/** Instant queries against Prometheus's HTTP API ({@code GET /api/v1/query}); every failure becomes a {@link PromQl.NoData}. */
public final class PrometheusClient {
    /** Queries in flight at once: a fleet of hosts polled together must not flood the Prometheus it depends on. */
    static final int MAX_IN_FLIGHT = 32;
    /** The largest answer read: a vector for every host of a large fleet fits many times over; more is not Prometheus. */
    static final int ANSWER_CAP = 2 << 20;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final Outgoing outgoing;

    /** A client that asks any address (tests, tools): the server's asks only where its {@link Outgoing} policy allows. */
    public PrometheusClient() {
        this(Outgoing.unrestricted());
    }

    public PrometheusClient(Outgoing outgoing) {
        this.outgoing = outgoing;
    }

    /** Runs one instant query; waits while {@link #MAX_IN_FLIGHT} others are running. */
    public CompletableFuture<PromQl.Result> query(String baseUrl, String promql, Duration timeout) {
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.completedFuture(new PromQl.NoData("interrupted"));
        }
        try {
            return send(baseUrl, promql, timeout).whenComplete((r, e) -> inFlight.release());
        } catch (RuntimeException e) {
            inFlight.release();
            throw e;
        }
    }

    private CompletableFuture<PromQl.Result> send(String baseUrl, String promql, Duration timeout) {
        HttpRequest request;
        try {
            request = outgoing.request(URI.create(baseUrl + "/api/v1/query?query="
                    + URLEncoder.encode(promql, StandardCharsets.UTF_8))).timeout(timeout).GET().build();
        } catch (Outgoing.Refused e) {
            return CompletableFuture.completedFuture(new PromQl.NoData("Prometheus at " + baseUrl + " was not asked: " + e.getMessage()));
        }
        return http.sendAsync(request, CappedBody.handler(ANSWER_CAP, timeout)).handle((r, e) -> {
            if (e != null) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                return new PromQl.NoData("Prometheus at " + baseUrl + " did not answer: " + cause);
            }
            if (r.body().truncated()) {
                return new PromQl.NoData("Prometheus at " + baseUrl + " answered more than " + (ANSWER_CAP >> 20) + " MiB (HTTP " + r.statusCode() + ")");
            }
            JsonNode body;
            try {
                body = Json.MAPPER.readTree(r.body().text());
            } catch (Exception notJson) {
                return new PromQl.NoData("Prometheus at " + baseUrl + " answered HTTP " + r.statusCode() + " without JSON");
            }
            return PromQl.read(body);
        });
    }
}
