package dev.rollguard.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A small JSON client of the Rollguard API, used by the CLI and the demo. */
public final class ApiClient {
    /** The server refused a request: its stable error code, message and the whole error object. */
    public static final class ApiException extends RuntimeException {
        private final int status;
        private final String code;
        private final transient JsonNode error;

        ApiException(int status, String code, String message, JsonNode error) {
            super(message);
            this.status = status;
            this.code = code;
            this.error = error;
        }

        public int status() { return status; }
        public String code() { return code; }
        public JsonNode error() { return error; }
    }

    private final String base;
    private final String actor;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public ApiClient(String base, String actor, String token) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.actor = actor;
        this.token = token == null || token.isBlank() ? null : token.strip();
    }

    public static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public JsonNode get(String path) {
        return Json.MAPPER.valueToTree(parse(send("GET", path, null)));
    }

    /**
     * Fails at once, with the usual "cannot reach" error, when nothing answers at the server's address: a command that
     * reads a large tree first says so before the local work, not after. Any HTTP answer (even an error) means reachable.
     */
    public void requireReachable() {
        try {
            send("GET", "/api/v1/health", null);
        } catch (ApiException answered) {
            // the server is there; what the command does next gets its own answer
        }
    }

    public String getText(String path) {
        return send("GET", path, null);
    }

    public JsonNode post(String path, Object body) {
        return parse(send("POST", path, body));
    }

    public JsonNode patch(String path, Object body) {
        return parse(send("PATCH", path, body));
    }

    public JsonNode delete(String path) {
        return parse(send("DELETE", path, null));
    }

    public JsonNode put(String path, Object body) {
        return parse(send("PUT", path, body));
    }

    private static JsonNode parse(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("server answered with something that is not JSON: " + e.getMessage());
        }
    }

    private String send(String method, String path, Object body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(5))
                .header("Accept", "application/json");
        if (actor != null) b.header("X-Rollguard-Actor", actor);
        if (token != null) b.header("Authorization", "Bearer " + token);
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)));
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new IllegalStateException("cannot reach the Rollguard server at " + base
                    + " (is it running? start one with 'rollguard server', or set --server / ROLLGUARD_SERVER)");
        } catch (IOException e) {
            throw new IllegalStateException("request to " + base + path + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
        if (r.statusCode() >= 400) {
            JsonNode error = null;
            try {
                error = Json.MAPPER.readTree(r.body()).path("error");
            } catch (IOException ignored) {
                // not our JSON error shape: fall through with the raw status
            }
            if (error == null || error.isMissingNode()) {
                throw new ApiException(r.statusCode(), "http_" + r.statusCode(), "server answered HTTP " + r.statusCode(), null);
            }
            throw new ApiException(r.statusCode(), error.path("code").asText(), error.path("message").asText(), error);
        }
        return r.body();
    }
}
