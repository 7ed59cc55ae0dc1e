package dev.rollguard.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Instant queries against Prometheus's HTTP API ({@code GET /api/v1/query}); every failure becomes a {@link PromQl.NoData}. */
public final class PrometheusClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public CompletableFuture<PromQl.Result> query(String baseUrl, String promql, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/query?query="
                        + URLEncoder.encode(promql, StandardCharsets.UTF_8))).timeout(timeout).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((r, e) -> {
            if (e != null) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                return new PromQl.NoData("Prometheus at " + baseUrl + " did not answer: " + cause);
            }
            JsonNode body;
            try {
                body = Json.MAPPER.readTree(r.body());
            } catch (Exception notJson) {
                return new PromQl.NoData("Prometheus at " + baseUrl + " answered HTTP " + r.statusCode() + " without JSON");
            }
            return PromQl.read(body);
        });
    }
}
