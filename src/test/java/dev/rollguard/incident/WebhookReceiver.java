package dev.rollguard.incident;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A real HTTP receiver on loopback that records webhooks; it can refuse the first N with 503 to play an outage. */
final class WebhookReceiver implements AutoCloseable {
    record Received(String path, String signature, String body, Instant at) {}

    final List<Received> received = new CopyOnWriteArrayList<>();
    final AtomicInteger refused = new AtomicInteger();
    private final HttpServer server;
    private volatile int refuseFirst;

    WebhookReceiver(int port, int refuseFirst) throws IOException {
        this.refuseFirst = refuseFirst;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int status;
            if (refused.get() < this.refuseFirst) {
                refused.incrementAndGet();
                status = 503;
            } else {
                received.add(new Received(ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("X-Rollguard-Signature"), body,
                        Instant.now()));
                status = 202;
            }
            byte[] out = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        server.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    List<Received> at(String path) {
        return received.stream().filter(r -> r.path().equals(path)).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
