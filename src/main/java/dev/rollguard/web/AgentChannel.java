package dev.rollguard.web;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.auth.Permission;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.rollout.AgentService;
import dev.rollguard.storage.StorageHealth;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsMessageContext;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.eclipse.jetty.websocket.api.WriteCallback;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An agent's channel ({@link AgentProtocol#channelPath}): a WebSocket authenticated once, at the upgrade
 * ({@link Access}), that carries both legs of a release. Each release costs the server one text frame of the answer
 * serialized once for the whole fleet, and each report one received frame, parsed and queued for the group commit, and
 * one small frame back once it is committed: no request line, headers, routing, authentication or answer per host.
 * Underneath it is the long-poll's own wait ({@link AgentService#poll}), chained as the stream's is, so no change between
 * two waits is missed; a wait that ends with nothing new is a ping, the heartbeat by which the agent knows its channel
 * lives. Reports are answered in the order they came: one connection's frames are delivered one at a time, and the
 * group commit completes its reports in the order they were queued.
 */
final class AgentChannel {
    /** Jetty closes a channel that neither side used for this long: well above the longest heartbeat. */
    static final long IDLE_TIMEOUT_MILLIS = 4L * AgentProtocol.STREAM_HEARTBEAT_SECONDS * 1000;
    private static final Map<Integer, PreparedText> REPORTED = new ConcurrentHashMap<>();
    /** A report frame at most this large (the POST's reports are bounded by the request limit; a report is small). */
    static final long MAX_REPORT_BYTES = 1L << 20;
    private static final String HOST = "rollguard.channel.host";

    /** What one connection is for. */
    private record Host(String service, String env, String host, boolean enrolled) {}

    private AgentChannel() {}

    static void install(ApiServer server, AgentService agents, DesiredAnswers answers) {
        server.ws(AgentProtocol.CHANNEL_ROUTE, Permission.AGENT, ws -> configure(ws, agents, answers));
        // after Access's gate: the token may speak for this host, and the host is known (else 404 unknown_host, as the
        // long-poll answers, and the agent registers again), before Jetty takes the connection
        server.app().wsBeforeUpgrade(AgentProtocol.CHANNEL_ROUTE, ctx -> {
            String service = ctx.pathParam("service");
            String env = ctx.pathParam("env");
            String host = ctx.pathParam("host");
            agents.requireCredential(service, env, host, RolloutRoutes.enrolment(Access.principal(ctx)));
            agents.poll(service, env, host, AgentProtocol.NONE, AgentProtocol.NONE, 0, Access.isAgent(ctx));
        });
    }

    private static void configure(WsConfig ws, AgentService agents, DesiredAnswers answers) {
        ws.onConnect(ctx -> connected(ctx, agents, answers));
        ws.onMessage(ctx -> report(ctx, agents));
    }

    private static void connected(WsConnectContext ctx, AgentService agents, DesiredAnswers answers) {
                Host h = new Host(ctx.pathParam("service"), ctx.pathParam("env"), ctx.pathParam("host"), Access.isAgent(ctx));
        String known = ctx.queryParam("known") == null ? AgentProtocol.NONE : ctx.queryParam("known");
        int heartbeat;
        try {
            heartbeat = ctx.queryParam("heartbeatSeconds") == null ? AgentProtocol.STREAM_HEARTBEAT_SECONDS
                    : Math.max(1, Math.min(AgentProtocol.STREAM_HEARTBEAT_SECONDS, Integer.parseInt(ctx.queryParam("heartbeatSeconds"))));
        } catch (NumberFormatException e) {
            ctx.closeSession(StatusCode.POLICY_VIOLATION, "heartbeatSeconds is a whole number of seconds");
            return;
        }
        ctx.attribute(HOST, h);
        next(ctx.session, agents, answers, h, known, heartbeat);
    }

    private static void next(Session session, AgentService agents, DesiredAnswers answers, Host h, String known, int heartbeat) {
        CompletableFuture<AgentProtocol.Desired> wait;
        try {
            wait = agents.poll(h.service(), h.env(), h.host(), known, AgentProtocol.INLINE, heartbeat, h.enrolled());
        } catch (Problem e) {
            // the host unknown or removed: the agent registers again (its long-poll then says 404 unknown_host)
            session.close(StatusCode.POLICY_VIOLATION, e.code());
            return;
        } catch (RuntimeException e) {
            // the storage closed with the server: the agent reconnects, here or to another replica
            session.close(StatusCode.SERVICE_RESTART, "server is shutting down; retry");
            return;
        }
        wait.whenComplete((d, e) -> {
            if (!session.isOpen()) return;
            if (e != null) {
                session.close(StatusCode.SERVICE_RESTART, "server is shutting down; retry");
                return;
            }
            String now = AgentProtocol.known(d.desiredVersion());
            if (now.equals(known)) session.getRemote().sendPing(ByteBuffer.allocate(0), WriteCallback.NOOP);
            else answers.send(session, d);
            next(session, agents, answers, h, now, heartbeat);
        });
    }

    /** A report frame: queued for the group commit, answered once committed (or refused, with the POST's error). */
    private static void report(WsMessageContext ctx, AgentService agents) {
        Host h = ctx.attribute(HOST);
        Session session = ctx.session;
        CompletableFuture<AgentProtocol.Desired> done;
        try {
            if (h == null) throw new Problem(409, "not_connected", "the channel is not open for a host");
            AgentProtocol.Report r = ApiServer.parse(ctx.message(), AgentProtocol.Report.class);
            done = agents.report(h.service(), h.env(), h.host(), r);
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        done.whenComplete((d, e) -> {
            if (!session.isOpen()) return;
            // the common answer, the same for every host told the same version: encoded once (what Jackson writes for it)
            if (e == null && d.bundle() == null && d.preflight() == null && d.desiredVersion() != null) {
                reported(d.desiredVersion()).send(session);
                return;
            }
            String m = Json.write(e == null ? new AgentProtocol.ChannelMessage(null, d, null) : new AgentProtocol.ChannelMessage(null, null, error(e)));
            session.getRemote().sendString(m, WriteCallback.NOOP);
        });
    }

    /** The answer to a report whose host should run {@code version}, by version: a release's reports all get one of a few. */
    private static PreparedText reported(int version) {
        PreparedText answer = REPORTED.get(version);
        if (answer == null) {
            if (REPORTED.size() >= 64) REPORTED.clear();
            answer = new PreparedText("{\"reported\":{\"desiredVersion\":" + version + "}}");
            REPORTED.put(version, answer);
        }
        return answer;
    }

    private static AgentProtocol.ChannelError error(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof Problem p) return new AgentProtocol.ChannelError(p.status(), p.code(), p.getMessage());
        if (StorageHealth.isBusy(cause)) return new AgentProtocol.ChannelError(503, "database_busy", "the server's database is busy; retry");
        return new AgentProtocol.ChannelError(500, "internal_error", "internal error: " + cause.getClass().getSimpleName());
    }

}
