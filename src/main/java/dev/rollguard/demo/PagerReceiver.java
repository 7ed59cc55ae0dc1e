package dev.rollguard.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.rollguard.Json;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A stand-in for PagerDuty's Events API v2 on loopback: accepts events like the real one (202) and keeps them. */
public final class PagerReceiver implements AutoCloseable {
    public record Event(Instant receivedAt, String signature, JsonNode body) {}

    private final HttpServer server;
    private final List<Event> events = new CopyOnWriteArrayList<>();

    public PagerReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v2/enqueue", ex -> {
            byte[] in = ex.getRequestBody().readAllBytes();
            int status;
            String answer;
            try {
                JsonNode body = Json.MAPPER.readTree(new String(in, StandardCharsets.UTF_8));
                events.add(new Event(Instant.now(), ex.getRequestHeaders().getFirst("X-Rollguard-Signature"), body));
                status = 202;
                answer = "{\"status\":\"success\",\"message\":\"Event processed\",\"dedup_key\":\"" + body.path("dedup_key").asText() + "\"}";
            } catch (IOException e) {
                status = 400;
                answer = "{\"status\":\"invalid event\"}";
            }
            byte[] out = answer.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v2/enqueue";
    }

    public List<Event> events() {
        return List.copyOf(events);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
