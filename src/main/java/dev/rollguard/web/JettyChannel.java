package dev.rollguard.web;

import dev.rollguard.auth.Permission;
import dev.rollguard.protocol.AgentProtocol;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsConnectContext;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.WriteCallback;

import java.nio.ByteBuffer;

/**
 * The agents' channel on the API's port, through Javalin and Jetty: for agents that cannot reach the channel's own port
 * ({@link NettyChannel}: older agents, agents behind a proxy that forwards only the API's port). The upgrade passes
 * {@link Access}'s gate as any agent request does, then the host is checked known; what the channel does is
 * {@link AgentChannel}'s.
 */
final class JettyChannel {
    private static final String HOST = "rollguard.channel.host";

    private JettyChannel() {}

    static void install(ApiServer server, AgentChannel channel) {
        server.ws(AgentProtocol.CHANNEL_ROUTE, Permission.AGENT, ws -> configure(ws, channel));
        // after Access's gate: the token may speak for this host, and the host is known (else 404 unknown_host, as the
        // long-poll answers, and the agent registers again), before Jetty takes the connection
        server.app().wsBeforeUpgrade(AgentProtocol.CHANNEL_ROUTE,
                ctx -> channel.admit(Access.principal(ctx), ctx.pathParam("service"), ctx.pathParam("env"), ctx.pathParam("host")));
    }

    private static void configure(WsConfig ws, AgentChannel channel) {
        ws.onConnect(ctx -> connected(ctx, channel));
        ws.onMessage(ctx -> {
            Open open = ctx.attribute(HOST);
            if (open == null) channel.report(new Jetty(ctx.session), null, ctx.message());
            else channel.report(open.connection(), open.host(), ctx.message());
        });
    }

    /** What a connection is for, and the connection as the channel sees it: made once, when it opens. */
    private record Open(AgentChannel.Host host, Jetty connection) {}

    private static void connected(WsConnectContext ctx, AgentChannel channel) {
        AgentChannel.Host h = new AgentChannel.Host(ctx.pathParam("service"), ctx.pathParam("env"), ctx.pathParam("host"), Access.isAgent(ctx));
        Jetty c = new Jetty(ctx.session);
        ctx.attribute(HOST, new Open(h, c));
        channel.open(c, h, ctx.queryParam("known"), ctx.queryParam("heartbeatSeconds"));
    }

    /** A Jetty session as the channel's connection. */
    private record Jetty(Session session) implements AgentChannel.Connection {
        @Override
        public void send(PreparedText frame) {
            frame.send(session);
        }

        @Override
        public void send(String text) {
            session.getRemote().sendString(text, WriteCallback.NOOP);
        }

        @Override
        public void ping() {
            session.getRemote().sendPing(ByteBuffer.allocate(0), WriteCallback.NOOP);
        }

        @Override
        public void close(int code, String reason) {
            session.close(code, reason);
        }

        @Override
        public boolean isOpen() {
            return session.isOpen();
        }
    }
}
