package dev.rollguard.web;

import dev.rollguard.Problem;
import dev.rollguard.auth.Permission;
import dev.rollguard.sandbox.Turn;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** A refusal that says when to retry (checkers busy, a validation stopped) is answered with a Retry-After header. */
class RetryAfterTest {
    @Test
    void aRefusalWithRetrySecondsCarriesTheHeader() throws Exception {
        ApiServer api = new ApiServer(1 << 20, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), server -> {
            server.post("/stopped", Permission.PUBLIC, ctx -> { throw new Turn.Over("wp", "its time ran out"); });
            server.post("/plain", Permission.PUBLIC, ctx -> { throw Problem.conflict("x", "no"); });
        }).start("127.0.0.1", 0);
        try {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/stopped"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).hasValue("30");
            assertThat(r.body()).contains("validation_abandoned");
            HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/plain"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(plain.statusCode()).isEqualTo(409);
            assertThat(plain.headers().firstValue("Retry-After")).isEmpty();
        } finally {
            api.stop();
        }
    }
}
