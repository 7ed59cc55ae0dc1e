package dev.rollguard.web;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.auth.Principal;
import dev.rollguard.sandbox.Slots;
import dev.rollguard.storage.StorageHealth;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The agents' channel on a port of its own, served by Netty: the same path, frames and logic as on the API's port
 * ({@link AgentChannel}), without Jetty's and Javalin's machinery per frame (bench push --floor: Jetty's bare WebSocket
 * alone costs more per agent than the target for all of Rollguard). What an upgrade passes is {@link Access}'s gate for an
 * agent ({@link Access#admitAgent}: the bearer token, the AGENT permission, the enrolment's host) and then the host's
 * checks ({@link AgentChannel#admit}: its enrolment, unknown host), refused with the API's status and error body; the checks
 * run on a small pool of their own, never on the event loop (they may read the database). Limits: a request head of at
 * most 8 KiB, a report of at most {@link AgentChannel#MAX_REPORT_BYTES} (closed with 1009), a connection that read
 * nothing (not even a pong) for {@link AgentChannel#IDLE_TIMEOUT_MILLIS} closed, no extension negotiated
 * (permessage-deflate would compress the frame the fleet shares once per connection), and a write buffer bounded by its
 * high mark ({@link NettyConnection}).
 */
public final class NettyChannel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NettyChannel.class);
    /** The most a request head may take (its line and headers): an agent's upgrade is well under 1 KiB. */
    static final int MAX_HEAD_BYTES = 8192;
    /** Past this many unsent bytes a connection is not read by its agent (about 60 release frames): it is closed. */
    private static final WriteBufferWaterMark WRITE_BUFFER = new WriteBufferWaterMark(64 * 1024, 256 * 1024);
    /** Upgrades waiting for the gate's threads beyond this many are told to come back (a fleet reconnecting at once). */
    private static final int MAX_WAITING_UPGRADES = 20_000;

    /** Every connection accepted and not yet closed. */
    private final ChannelGroup open = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final EventLoopGroup loops;
    private final ThreadPoolExecutor gate;
    private final Channel listener;
    private final Access access;
    private final AgentChannel logic;

    private NettyChannel(String host, int port, int threads, Access access, AgentChannel logic) {
        this.access = access;
        this.logic = logic;
        this.loops = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("agent-channel", true), NioIoHandler.newFactory());
        this.gate = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(MAX_WAITING_UPGRADES),
                r -> daemon(r, "agent-channel-gate"));
        try {
            this.listener = new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WRITE_BUFFER)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            open.add(ch);
                            ch.pipeline().addLast("http", new HttpServerCodec(4096, MAX_HEAD_BYTES, 8192))
                                    .addLast("aggregator", new HttpObjectAggregator(8192))
                                    .addLast("idle", new IdleStateHandler(AgentChannel.IDLE_TIMEOUT_MILLIS, 0, 0, TimeUnit.MILLISECONDS))
                                    .addLast("upgrade", new Upgrade());
                        }
                    })
                    .bind(host, port).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Listens on {@code host:port} (0: a free port) with {@code threads} event loops; what a channel does is {@code logic}'s,
     * who may open one {@code access}'s and then {@code logic}'s.
     */
    public static NettyChannel start(String host, int port, int threads, Access access, AgentChannel logic) {
        return new NettyChannel(host, port, threads, access, logic);
    }

    /** The event loops {@code rollguard.channel.threads} asks for, else one: the cheapest per agent on a small machine. */
    public static int threads() {
        return Integer.getInteger("rollguard.channel.threads", 1);
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Stops listening and drops every channel at once (their agents reconnect, here or elsewhere). */
    @Override
    public void close() {
        if (listener != null) listener.close().syncUninterruptibly();
        // each connection closed (and its descriptor given back) before the loops stop: a process that starts servers
        // one after another (tests, bench push --floor) would otherwise run out of descriptors
        open.close().awaitUninterruptibly();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        gate.shutdownNow();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** An upgrade's request, once its head is read: checked off the event loop, then upgraded or refused. */
    private final class Upgrade extends SimpleChannelInboundHandler<FullHttpRequest> {
        Upgrade() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            // nothing more is read until the gate has answered (an agent sends nothing before the 101 either)
            ctx.channel().config().setAutoRead(false);
            if (!req.decoderResult().isSuccess()) {
                Throwable why = req.decoderResult().cause();
                refuseNow(ctx, req, why instanceof TooLongFrameException
                        ? new Problem(431, "request_head_too_large", "the request's line and headers are at most " + MAX_HEAD_BYTES + " bytes")
                        : new Problem(400, "bad_request", "the request could not be read: " + why.getMessage()));
                return;
            }
            QueryStringDecoder uri = new QueryStringDecoder(req.uri());
            String[] parts = uri.rawPath().split("/", -1);
            // /api/v1/agents/{service}/{env}/{host}/channel
            if (parts.length != 8 || !uri.rawPath().startsWith("/api/v1/agents/") || !parts[7].equals("channel")) {
                refuseNow(ctx, req, Problem.notFound("not_found", "no such endpoint: " + req.method() + " " + uri.path()));
                return;
            }
            if (!req.method().equals(HttpMethod.GET)) {
                refuseNow(ctx, req, new Problem(405, "method_not_allowed", "method not allowed: " + req.method() + " " + uri.path()));
                return;
            }
            AgentChannel.Host wanted = new AgentChannel.Host(QueryStringDecoder.decodeComponent(parts[4]),
                    QueryStringDecoder.decodeComponent(parts[5]), QueryStringDecoder.decodeComponent(parts[6]), false);
            String ip = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress().getHostAddress();
            String authorization = req.headers().get(HttpHeaderNames.AUTHORIZATION);
            try {
                gate.execute(() -> {
                    try {
                        Principal who = access.admitAgent(ip, authorization, wanted.service(), wanted.env(), wanted.host());
                        AgentChannel.Host h = logic.admit(who, wanted.service(), wanted.env(), wanted.host());
                        ctx.executor().execute(() -> upgrade(ctx, req, h, uri));
                    } catch (RuntimeException e) {
                        ctx.executor().execute(() -> refuseNow(ctx, req, e));
                    }
                });
            } catch (RejectedExecutionException e) {
                refuseNow(ctx, req, new Problem(503, "database_busy", "too many channels opening at once; retry", Map.of(Slots.RETRY_AFTER,
                        ApiServer.BUSY_RETRY_AFTER_SECONDS)));
            }
        }

        /** The gate passed: the handshake (no extension, frames up to the report's limit), then the wait chain. */
        private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req, AgentChannel.Host h, QueryStringDecoder uri) {
            try {
                if (!req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
                    refuse(ctx, new Problem(426, "upgrade_required", "this is a WebSocket: send 'Upgrade: websocket'"));
                    return;
                }
                WebSocketDecoderConfig config = WebSocketDecoderConfig.newBuilder().maxFramePayloadLength((int) AgentChannel.MAX_REPORT_BYTES)
                        .allowExtensions(false).expectMaskedFrames(true).closeOnProtocolViolation(true).build();
                WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory("ws://" + req.headers().get(HttpHeaderNames.HOST)
                        + uri.rawPath(), null, config).newHandshaker(req);
                if (handshaker == null) {
                    WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel()).addListener(ChannelFutureListener.CLOSE);
                    return;
                }
                NettyConnection c = new NettyConnection(ctx.channel(), logic, h);
                ctx.pipeline().replace(this, "frames", c);
                ctx.pipeline().addBefore("frames", "messages", new WebSocketFrameAggregator((int) AgentChannel.MAX_REPORT_BYTES));
                String known = param(uri, "known");
                String heartbeat = param(uri, "heartbeatSeconds");
                handshaker.handshake(ctx.channel(), req).addListener(f -> {
                    if (!f.isSuccess()) {
                        ctx.close();
                        return;
                    }
                    ctx.channel().config().setAutoRead(true);
                    // the first wait may render the host's bundle (a read): off the event loop, as the gate
                    try {
                        gate.execute(() -> logic.open(c, h, known, heartbeat));
                    } catch (RejectedExecutionException e) {
                        c.close(AgentChannel.SERVICE_RESTART, "server is busy; retry");
                    }
                });
            } finally {
                req.release();
            }
        }

        private static String param(QueryStringDecoder uri, String name) {
            List<String> values = uri.parameters().get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        /** The upgrade refused, and the request let go. */
        private void refuseNow(ChannelHandlerContext ctx, FullHttpRequest req, Throwable e) {
            try {
                refuse(ctx, e);
            } finally {
                req.release();
            }
        }

        /** The upgrade refused as the API refuses a request: its status, Retry-After where it has one, the error body. */
        private void refuse(ChannelHandlerContext ctx, Throwable e) {
            Map<String, Object> error = new LinkedHashMap<>();
            Long retryAfter = null;
            int status;
            if (e instanceof Problem p) {
                status = p.status();
                error.put("code", p.code());
                error.put("message", p.getMessage());
                error.putAll(p.details());
                if (p instanceof Access.RateLimited r) retryAfter = r.retryAfterSeconds();
                else if (p.details().get(Slots.RETRY_AFTER) instanceof Integer seconds) retryAfter = seconds.longValue();
            } else {
                var channelError = AgentChannel.error(e);
                status = channelError.status();
                error.put("code", channelError.code());
                error.put("message", channelError.message());
                if (StorageHealth.isBusy(e)) retryAfter = (long) ApiServer.BUSY_RETRY_AFTER_SECONDS;
                else log.error("agent channel: the upgrade failed", e);
            }
            byte[] body = Json.write(Map.of("error", error)).getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json").setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            if (status == 426) r.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
            if (retryAfter != null) r.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfter);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
