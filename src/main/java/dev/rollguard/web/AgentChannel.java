package dev.rollguard.web;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.auth.Principal;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.rollout.AgentService;
import dev.rollguard.storage.StorageHealth;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An agent's channel ({@link AgentProtocol#channelPath}): a WebSocket authenticated once, at the upgrade, that carries
 * both legs of a release. Each release costs the server one text frame of the answer serialized once for the whole
 * fleet, and each report one received frame, parsed and queued for the group commit, and one small frame back once it is
 * committed: no request line, headers, routing, authentication or answer per host. Underneath it is the long-poll's own
 * wait ({@link AgentService#poll}), chained as the stream's is, so no change between two waits is missed; a wait that
 * ends with nothing new is a ping, the heartbeat by which the agent knows its channel lives. Reports are answered in the
 * order they came: one connection's frames are delivered one at a time, and the group commit completes its reports in
 * the order they were queued.
 *
 * <p>This is the channel whichever server holds the connection: Jetty's on the API's port ({@link JettyChannel}, for
 * older agents and agents behind a proxy that forwards only that port) and Netty's on a port of its own
 * ({@link NettyChannel}, at a cost per agent near the raw socket's). Each hands it a {@link Connection}.
 */
public final class AgentChannel {
    /** A channel neither side used for this long is closed: well above the longest heartbeat. */
    static final long IDLE_TIMEOUT_MILLIS = 4L * AgentProtocol.STREAM_HEARTBEAT_SECONDS * 1000;
    /** A report frame at most this large (the POST's reports are bounded by the request limit; a report is small). */
    static final long MAX_REPORT_BYTES = 1L << 20;
    /** RFC 6455's close codes the channel uses: a refused host, the server going away, a message over the limit. */
    static final int POLICY_VIOLATION = 1008;
    static final int MESSAGE_TOO_BIG = 1009;
    static final int SERVICE_RESTART = 1012;
    private static final Map<Integer, PreparedText> REPORTED = new ConcurrentHashMap<>();

    /** What a connection can do, whichever server holds it: each call returns at once, the write goes out later. */
    interface Connection {
        /** A frame encoded once for many connections. */
        void send(PreparedText frame);

        /** A text frame of this connection's own. */
        void send(String text);

        void ping();

        void close(int code, String reason);

        boolean isOpen();
    }

    /** What one connection is for; {@code enrolled}: its caller is the host's own agent (an enrolment token). */
    record Host(String service, String env, String host, boolean enrolled) {}

    private final AgentService agents;
    private final DesiredAnswers answers;

    AgentChannel(AgentService agents, DesiredAnswers answers) {
        this.agents = agents;
        this.answers = answers;
    }

    /**
     * The upgrade's checks after {@code who} passed Access's gate, whichever server holds the connection: the token may
     * speak for this host (its enrolment), and the host is known (else 404 unknown_host, as the long-poll answers, and
     * the agent registers again). Reads the database for a host this server has not read yet. Answers what the
     * connection is for.
     */
    Host admit(Principal who, String service, String env, String host) {
        agents.requireCredential(service, env, host, RolloutRoutes.enrolment(who));
        Host h = new Host(service, env, host, who.kind() == Principal.Kind.AGENT);
        agents.poll(h.service(), h.env(), h.host(), AgentProtocol.NONE, AgentProtocol.NONE, 0, h.enrolled());
        return h;
    }

    /** The channel opened: the wait chain starts from what the agent says it {@code known}s ({@code null}: none). */
    void open(Connection c, Host h, String known, String heartbeatSeconds) {
        int heartbeat;
        try {
            heartbeat = heartbeatSeconds == null ? AgentProtocol.STREAM_HEARTBEAT_SECONDS
                    : Math.max(1, Math.min(AgentProtocol.STREAM_HEARTBEAT_SECONDS, Integer.parseInt(heartbeatSeconds)));
        } catch (NumberFormatException e) {
            c.close(POLICY_VIOLATION, "heartbeatSeconds is a whole number of seconds");
            return;
        }
        next(c, h, known == null ? AgentProtocol.NONE : known, heartbeat);
    }

    private void next(Connection c, Host h, String known, int heartbeat) {
        CompletableFuture<AgentProtocol.Desired> wait;
        try {
            wait = agents.poll(h.service(), h.env(), h.host(), known, AgentProtocol.INLINE, heartbeat, h.enrolled());
        } catch (Problem e) {
            // the host unknown or removed: the agent registers again (its long-poll then says 404 unknown_host)
            c.close(POLICY_VIOLATION, e.code());
            return;
        } catch (RuntimeException e) {
            // the storage closed with the server: the agent reconnects, here or to another replica
            c.close(SERVICE_RESTART, "server is shutting down; retry");
            return;
        }
        wait.whenComplete((d, e) -> {
            if (!c.isOpen()) return;
            if (e != null) {
                c.close(SERVICE_RESTART, "server is shutting down; retry");
                return;
            }
            String now = AgentProtocol.known(d.desiredVersion());
            if (now.equals(known)) c.ping();
            else answers.send(c, d);
            next(c, h, now, heartbeat);
        });
    }

    /** A report frame: queued for the group commit, answered once committed (or refused, with the POST's error). */
    void report(Connection c, Host h, String text) {
        CompletableFuture<AgentProtocol.Desired> done;
        try {
            if (h == null) throw new Problem(409, "not_connected", "the channel is not open for a host");
            AgentProtocol.Report r = ApiServer.parse(text, AgentProtocol.Report.class);
            done = agents.report(h.service(), h.env(), h.host(), r);
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        done.whenComplete((d, e) -> {
            if (!c.isOpen()) return;
            // the common answer, the same for every host told the same version: encoded once (what Jackson writes for it)
            if (e == null && d.bundle() == null && d.preflight() == null && d.desiredVersion() != null) {
                c.send(reported(d.desiredVersion()));
                return;
            }
            c.send(Json.write(e == null ? new AgentProtocol.ChannelMessage(null, d, null) : new AgentProtocol.ChannelMessage(null, null, error(e))));
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

    /** What a failure is to the agent: the status, code and message the API would answer with. */
    static AgentProtocol.ChannelError error(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof Problem p) return new AgentProtocol.ChannelError(p.status(), p.code(), p.getMessage());
        if (StorageHealth.isBusy(cause)) return new AgentProtocol.ChannelError(503, "database_busy", "the server's database is busy; retry");
        return new AgentProtocol.ChannelError(500, "internal_error", "internal error: " + cause.getClass().getSimpleName());
    }
}
