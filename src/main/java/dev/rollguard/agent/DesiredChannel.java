package dev.rollguard.agent;

import dev.rollguard.Json;
import dev.rollguard.protocol.AgentProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The agent's side of its channel ({@link AgentProtocol#channelPath}, a WebSocket): releases arrive on it as the stream's
 * do, and the agent's reports go out on it, each answered once the server has committed it, so a host costs the server
 * no request per release or per report. {@link #follow} is the poll thread's, {@link #report} the report thread's. Ends
 * when the server closes it; throws when it drops or goes silent for three heartbeats (the server pings once per
 * heartbeat); {@link #open} answers null when the server refuses the upgrade with 404 (an older server, a proxy without
 * WebSockets, or a host the server does not know: the agent streams or long-polls, which tell those apart).
 */
final class DesiredChannel implements WebSocket.Listener {
    /** What the poll thread hears: an answer, a heartbeat, or the channel's end (closed, or dropped with a reason). */
    private record Heard(AgentProtocol.Desired desired, boolean closed, Throwable dropped) {}

    private static final Logger log = LoggerFactory.getLogger(DesiredChannel.class);
    private static final Heard HEARTBEAT = new Heard(null, false, null);
    /** A report's answer is awaited at most this long before the agent posts it instead. */
    static final Duration REPORT_PATIENCE = Duration.ofSeconds(10);

    private final BlockingQueue<Heard> heard = new LinkedBlockingQueue<>();
    /** Reports sent and not yet answered, oldest first: the server answers them in order. */
    private final Deque<CompletableFuture<AgentProtocol.Desired>> unanswered = new ArrayDeque<>();
    private final StringBuilder text = new StringBuilder();
    private volatile WebSocket ws;
    private volatile boolean ended;

    private DesiredChannel() {}

    /**
     * The agent's link to its channel: the poll thread follows the channel through it, and the report thread's reports
     * take the channel while it is open. A server with a port of its own for the channel says where
     * ({@link AgentProtocol.Registered#channelUrl}, and {@link AgentProtocol#CHANNEL_HEADER} on its long-poll answers): the
     * link opens it there first, and when it cannot (refused, no route, no answer) opens it on the API's port instead,
     * leaving the channel's port alone for {@link #OWN_PORT_PAUSE}. A server that says nothing has its channel on the API's
     * port only (an older server: as before).
     */
    static final class Link {
        /** How long the channel's own port is not tried again after it could not be opened. */
        static final Duration OWN_PORT_PAUSE = Duration.ofMinutes(5);
        /** The open channel (null: none). */
        private volatile DesiredChannel open;
        /** Where each server (as its base URL: scheme and authority) said its channel's own port is. */
        private final Map<String, String> ownPorts = new ConcurrentHashMap<>();
        /** When each server's own channel port may be tried again (System.nanoTime()) after it could not be opened. */
        private final Map<String, Long> pausedUntil = new ConcurrentHashMap<>();
        /** Where the channel followed now, or last, was opened: the channel's own port, or the API's (null: none yet). */
        private volatile String via;

        /** {@code server} said its channel's own port is at {@code url} (null: it has none). */
        void heard(String server, String url) {
            String key = base(server);
            if (url == null || url.isBlank()) {
                ownPorts.remove(key);
                return;
            }
            String before = ownPorts.put(key, url.replaceAll("/+$", ""));
            // a new address (the server restarted elsewhere, or registered again) is worth trying at once
            if (!url.equals(before)) pausedUntil.remove(key);
        }

        /** The base URL of the channel's own port on {@code server}, when it has one the link may use now (else null). */
        String ownPort(String server) {
            String key = base(server);
            String url = ownPorts.get(key);
            if (url == null) return null;
            Long until = pausedUntil.get(key);
            if (until != null && System.nanoTime() - until < 0) return null;
            // never from TLS to plain text: a token sent to an https:// server does not go out unencrypted
            if (key.startsWith("https:") && !url.startsWith("wss:")) return null;
            return url;
        }

        /**
         * Follows the host's channel on {@code server} until it ends (after which one long-poll brings what was released
         * meanwhile), asking for what is newer than {@code known}; false when the server has none.
         */
        boolean follow(HttpClient http, String server, AgentConfig config, String known, DesiredStream.Taker taker)
                throws IOException, InterruptedException {
            int heartbeat = config.heartbeatSeconds();
            String path = AgentProtocol.channelPath(config.service(), config.env(), config.host(), known, heartbeat);
            String actor = "agent:" + config.host();
            String own = ownPort(server);
            DesiredChannel c = null;
            String at = null;
            if (own != null) {
                try {
                    c = DesiredChannel.open(http, URI.create(own + path), config.token(), actor);
                    at = own;
                } catch (Unavailable e) {
                    throw e; // the server asked for a pause (503): its API's port would say the same
                } catch (IOException e) {
                    log.info("agent {}: the channel's port {} could not be opened ({}); the channel on the API's port instead",
                            config.host(), own, e.getMessage());
                }
                // not there, or the host unknown there: the API's port answers for both, the agent acts on that answer
                if (c == null) pausedUntil.put(base(server), System.nanoTime() + OWN_PORT_PAUSE.toNanos());
            }
            if (c == null) {
                c = DesiredChannel.open(http, URI.create(server.replaceFirst("^http", "ws") + path), config.token(), actor);
                at = server;
            }
            if (c == null) {
                log.info("agent {}: the server has no channel (or does not know this host); streaming", config.host());
                return false;
            }
            open = c;
            via = at;
            try {
                c.follow(Duration.ofSeconds(heartbeat), known, taker);
            } finally {
                open = null;
            }
            return true;
        }

        /** Where the channel followed now, or last, was opened (null: none yet). */
        String via() {
            return via;
        }

        /** The report on the open channel: its answer once committed, or null when none is open or it could not carry it. */
        AgentProtocol.Desired report(AgentProtocol.Report r) throws InterruptedException {
            DesiredChannel c = open;
            return c == null ? null : c.report(r);
        }

        void close() {
            DesiredChannel c = open;
            if (c != null) c.close();
        }

        /** A server URL as the key it is known by: its scheme and authority. */
        private static String base(String server) {
            URI u = URI.create(server);
            return u.getScheme() + "://" + u.getRawAuthority();
        }
    }

    /** The open channel, or null when the server has none (404). */
    static DesiredChannel open(HttpClient http, URI uri, String token, String actor) throws IOException, InterruptedException {
        DesiredChannel c = new DesiredChannel();
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)).header("X-Rollguard-Actor", actor);
        if (token != null) b.header("Authorization", "Bearer " + token);
        try {
            c.ws = b.buildAsync(uri, c).get(20, TimeUnit.SECONDS);
            return c;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                int status = h.getResponse().statusCode();
                if (status == 404) return null;
                if (status == 401 || status == 403) throw new Agent.ServerError(status, status == 401 ? "unauthenticated" : "forbidden",
                        "the server refused the channel (" + status + ")");
                if (status >= 500) throw new Unavailable("the channel was refused: " + status, Unavailable.retryAfter(h.getResponse().headers()));
                throw new IOException("the channel was refused: " + status);
            }
            throw new IOException("the channel could not be opened: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the channel did not open in 20 s");
        }
    }

    /**
     * Hands each answer to {@code taker}, with the version the host had heard of before it (at first {@code known}), until
     * the server closes the channel; throws when it drops or is silent for three
     * heartbeats (then it is aborted: a connection that hears nothing may be dead without a reset).
     */
    void follow(Duration heartbeat, String known, DesiredStream.Taker taker) throws IOException, InterruptedException {
        long silence = heartbeat.multipliedBy(3).toMillis();
        String heardOf = known;
        try {
            while (true) {
                Heard h = heard.poll(silence, TimeUnit.MILLISECONDS);
                if (h == null) throw new IOException("the channel went silent for " + silence + " ms (three heartbeats)");
                if (h.closed()) return;
                if (h.dropped() != null) throw new IOException("the channel dropped: " + h.dropped().getMessage(), h.dropped());
                if (h.desired() != null) {
                    taker.take(h.desired(), heardOf);
                    heardOf = AgentProtocol.known(h.desired().desiredVersion());
                }
            }
        } finally {
            close();
        }
    }

    /** The report on the channel; its answer once the server committed it, or null when the channel could not carry it. */
    AgentProtocol.Desired report(AgentProtocol.Report r) throws InterruptedException {
        CompletableFuture<AgentProtocol.Desired> answer = new CompletableFuture<>();
        synchronized (unanswered) {
            if (ended) return null;
            unanswered.addLast(answer);
            // sent under the lock: the answers come back in the order the reports went out
            try {
                ws.sendText(Json.write(r), true).get(REPORT_PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                unanswered.remove(answer);
                return null;
            }
        }
        try {
            return answer.get(REPORT_PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            // the server refused the report: the agent's answer to a refused POST is the same
            if (e.getCause() instanceof Agent.ServerError refused) throw refused;
            return null;
        } catch (TimeoutException e) {
            return null;
        }
    }

    void close() {
        end(new Heard(null, true, null));
        WebSocket w = ws;
        if (w != null) w.abort();
    }

    // ------------------------------------------------------------------ the listener (the HTTP client's threads)

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            String message = text.toString();
            text.setLength(0);
            try {
                taken(Json.read(message, AgentProtocol.ChannelMessage.class));
            } catch (RuntimeException e) {
                end(new Heard(null, false, new IOException("the server sent what is not a channel message", e)));
                webSocket.abort();
            }
        }
        webSocket.request(1);
        return null;
    }

    private void taken(AgentProtocol.ChannelMessage m) {
        if (m.desired() != null) {
            heard.add(new Heard(m.desired(), false, null));
            return;
        }
        CompletableFuture<AgentProtocol.Desired> oldest;
        synchronized (unanswered) {
            oldest = unanswered.pollFirst();
        }
        if (oldest == null) return;
        if (m.reported() != null) oldest.complete(m.reported());
        else if (m.error() != null) oldest.completeExceptionally(new Agent.ServerError(m.error().status(), m.error().code(), m.error().message()));
        heard.add(HEARTBEAT);
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        // the client answers with a pong by itself
        heard.add(HEARTBEAT);
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        end(new Heard(null, true, null));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        end(new Heard(null, false, error instanceof CompletionException && error.getCause() != null ? error.getCause() : error));
    }

    /** The channel ended: the poll thread hears it, and reports waiting for an answer are posted instead. */
    private void end(Heard why) {
        synchronized (unanswered) {
            if (ended) return;
            ended = true;
            CompletableFuture<AgentProtocol.Desired> f;
            while ((f = unanswered.pollFirst()) != null) f.complete(null);
        }
        heard.add(why);
    }
}
