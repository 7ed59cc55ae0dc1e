package dev.rollguard.web;

import dev.rollguard.Problem;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.rollout.AgentService;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;

import java.util.concurrent.CompletableFuture;

/**
 * An agent's persistent stream (server-sent events): authenticated once when it opens, then each release costs the
 * server one write of an answer serialized once for the whole fleet, instead of a request parsed, routed, authenticated
 * and answered per host. Underneath it is the long-poll's own wait ({@link AgentService#poll}), chained: the same
 * subscription before the read, so no change between two waits is missed. A heartbeat comment every
 * {@code heartbeatSeconds} (the agent's choice, at most {@value AgentProtocol#STREAM_HEARTBEAT_SECONDS} s) finds a dead
 * connection at the next write here, and tells the agent its stream is alive (it drops one silent for three). Long-poll
 * stays: older agents, proxies that buffer streams, and an agent whose stream dropped use it.
 */
final class AgentStream {
    private AgentStream() {}

    static void open(Context ctx, AgentService agents, DesiredAnswers answers) throws Exception {
        if (!"text/event-stream".equals(ctx.header("Accept"))) {
            throw new Problem(406, "not_acceptable", "the agent stream is server-sent events: send 'Accept: text/event-stream'");
        }
        String service = ctx.pathParam("service");
        String env = ctx.pathParam("env");
        String host = ctx.pathParam("host");
        String known = ctx.queryParam("known") == null ? "" : ctx.queryParam("known");
        boolean enrolled = Access.isAgent(ctx);
        int heartbeat = ctx.queryParam("heartbeatSeconds") == null ? AgentProtocol.STREAM_HEARTBEAT_SECONDS
                : Math.max(1, Math.min(AgentProtocol.STREAM_HEARTBEAT_SECONDS, ApiServer.intParam(ctx, "heartbeatSeconds")));
        // an unknown host is refused before the stream opens, with the long-poll's own answer (404 unknown_host)
        agents.poll(service, env, host, known, AgentProtocol.NONE, 0, enrolled);
        new SseHandler(0, client -> {
            client.keepAlive();
            next(client, agents, answers, service, env, host, known, enrolled, heartbeat);
        }).handle(ctx);
    }

    private static void next(SseClient client, AgentService agents, DesiredAnswers answers, String service, String env, String host,
                             String known, boolean enrolled, int heartbeat) {
        CompletableFuture<AgentProtocol.Desired> wait;
        try {
            wait = agents.poll(service, env, host, known, AgentProtocol.INLINE, heartbeat, enrolled);
        } catch (RuntimeException e) {
            // the host was removed, or the storage closed with the server: the agent reconnects or long-polls
            client.close();
            return;
        }
        wait.whenComplete((d, e) -> {
            if (client.terminated()) return;
            if (e != null) {
                client.close();
                return;
            }
            String now = AgentProtocol.known(d.desiredVersion());
            if (now.equals(known)) client.sendComment("waiting");
            else client.sendEvent(AgentProtocol.DESIRED_EVENT, answers.text(d));
            if (!client.terminated()) next(client, agents, answers, service, env, host, now, enrolled, heartbeat);
        });
    }
}
