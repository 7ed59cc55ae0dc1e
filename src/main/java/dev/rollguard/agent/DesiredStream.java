package dev.rollguard.agent;

import dev.rollguard.Json;
import dev.rollguard.protocol.AgentProtocol;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The agent's side of the stream ({@link AgentProtocol#streamPath}): one request, then an answer per release as the
 * server sends it. Ends when the server closes it; throws when it drops or goes silent for longer than three of the
 * server's heartbeats (the connection is dead even if no reset arrived); answers {@link End#UNSUPPORTED} when the server
 * has no stream (an older one, or a proxy that refuses it), and the agent long-polls.
 */
final class DesiredStream {
    enum End { CLOSED, UNSUPPORTED }

    /** What the agent does with each answer, which came to a host that had heard of {@code known}: the same as with a long-poll's. */
    interface Taker {
        void take(AgentProtocol.Desired d, String known) throws IOException, InterruptedException;
    }

    private static final ScheduledExecutorService WATCH = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "agent-stream-watch");
        t.setDaemon(true);
        return t;
    });

    private DesiredStream() {}

    /**
     * Follows the host's stream on {@code server}, asking for what is newer than {@code known} and for a heartbeat every
     * {@link AgentConfig#heartbeatSeconds}: three of them without a line and the connection is dead (a peer gone without a
     * reset, a proxy or NAT that forgot it), however quiet the socket looks.
     */
    static End follow(HttpClient http, String server, AgentConfig config, String known, Taker taker) throws IOException,
            InterruptedException {
        int heartbeat = config.heartbeatSeconds();
        long silence = Duration.ofSeconds(heartbeat).multipliedBy(3).toMillis();
        URI uri = URI.create(server + AgentProtocol.streamPath(config.service(), config.env(), config.host(), known, heartbeat));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).header("Accept", "text/event-stream")
                .header("X-Rollguard-Actor", "agent:" + config.host()).GET();
        if (config.token() != null) b.header("Authorization", "Bearer " + config.token());
        HttpResponse<Stream<String>> r = http.send(b.build(), HttpResponse.BodyHandlers.ofLines());
        try (Stream<String> lines = r.body()) {
            if (r.statusCode() != 200) return refused(r.statusCode(), lines.collect(Collectors.joining("\n")));
            Iterator<String> it = lines.iterator();
            String heardOf = known;
            String event = null;
            StringBuilder data = new StringBuilder();
            AtomicBoolean silent = new AtomicBoolean();
            while (true) {
                ScheduledFuture<?> watch = WATCH.schedule(() -> {
                    silent.set(true);
                    lines.close();
                }, silence, TimeUnit.MILLISECONDS);
                boolean more;
                String line;
                try {
                    more = it.hasNext();
                    line = more ? it.next() : null;
                } catch (RuntimeException e) {
                    throw new IOException((silent.get() ? "the stream went silent" : "the stream dropped: " + e.getMessage()), e);
                } finally {
                    watch.cancel(false);
                }
                // closed by the watch: a dead connection, not the server's end (the agent backs off and tries the next server)
                if (silent.get()) throw new IOException("the stream went silent for " + silence + " ms (three heartbeats)");
                if (!more) return End.CLOSED;
                if (line.isEmpty()) {
                    if (AgentProtocol.DESIRED_EVENT.equals(event) && data.length() > 0) {
                        AgentProtocol.Desired d = Json.read(data.toString(), AgentProtocol.Desired.class);
                        taker.take(d, heardOf);
                        heardOf = AgentProtocol.known(d.desiredVersion());
                    }
                    event = null;
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(line.length() > 5 && line.charAt(5) == ' ' ? 6 : 5));
                }
                // ":" lines are the server's heartbeats; "id:" and "retry:" are not used
            }
        }
    }

    /** A refusal: the host unknown is the agent's to handle (it registers again); a server without the stream is long-polled. */
    private static End refused(int status, String body) throws IOException {
        if (status >= 500) throw new IOException("server answered " + status);
        String code = "";
        String message = body;
        try {
            var error = Json.MAPPER.readTree(body).path("error");
            code = error.path("code").asText();
            message = error.path("message").asText();
        } catch (IOException | RuntimeException notJson) {
            // a proxy's page or an older server's plain 404: no stream here
        }
        if (status == 404 && "unknown_host".equals(code)) throw new Agent.ServerError(status, code, message);
        if (status == 401 || status == 403) throw new Agent.ServerError(status, code, message);
        return End.UNSUPPORTED;
    }
}
