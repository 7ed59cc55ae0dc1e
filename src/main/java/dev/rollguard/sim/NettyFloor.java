package dev.rollguard.sim;

import dev.rollguard.Json;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.web.NettyChannel;
import dev.rollguard.web.PreparedText;
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
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The floor of the channel's own port ({@code bench push --floor}, the {@code netty} row): the same pollers and frames as
 * {@link ChannelFloor}'s Jetty server, served by Netty as the real channel's port is ({@link NettyChannel}: the same event
 * loops, codec and handshake, the frames prepared once and written as they are, {@link PreparedText#wire}), with no
 * Rollguard logic: registration answers at once, the release is written to every open channel from as many threads as
 * the real path's responders, a report is answered on its event loop with the frame prepared for the version. What it
 * costs per agent is what the real channel cannot go below on Netty.
 */
public final class NettyFloor implements ChannelFloor.Server {
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(NettyChannel.threads(), new DefaultThreadFactory("floor-netty", true),
            NioIoHandler.newFactory());
    private final ExecutorService writers = ChannelFloor.writers();
    /** Every connection accepted and not yet closed. */
    private final ChannelGroup open = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> closed = new ConcurrentHashMap<>();
    private final ChannelFloor.Releases releases = new ChannelFloor.Releases();
    private final Channel listener;

    public NettyFloor() {
        listener = new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class).option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        open.add(ch);
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new Requests());
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    /** The Netty floor's figures over the same pollers as {@link ChannelFloor#run} (the last of its releases). */
    public static RolloutBenchmark.Push run(int agents, PrintWriter log) throws Exception {
        try (NettyFloor floor = new NettyFloor()) {
            return ChannelFloor.drive(floor, agents, log);
        }
    }

    @Override
    public String url() {
        return "http://127.0.0.1:" + ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public int connected() {
        return channels.size();
    }

    @Override
    public void prepare(int v, String release, String reportAnswer) {
        releases.prepare(v, release, reportAnswer);
    }

    @Override
    public void release() {
        PreparedText f = releases.publish();
        ChannelFloor.inSlices(writers, channels, c -> c.writeAndFlush(f.wire(), c.voidPromise()));
    }

    @Override
    public Map<String, Integer> closed() {
        return closed;
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        open.close().awaitUninterruptibly();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        writers.shutdownNow();
    }

    /** A registration (answered at once) or a channel's upgrade (taken at once, then {@link Frames}). */
    private final class Requests extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (req.method().equals(HttpMethod.POST)) {
                AgentProtocol.Register r = Json.read(req.content().toString(StandardCharsets.UTF_8), AgentProtocol.Register.class);
                byte[] body = Json.write(new AgentProtocol.Registered(r.host(), null, 500L)).getBytes(StandardCharsets.UTF_8);
                var answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
                answer.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json").setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
                ctx.writeAndFlush(answer);
                return;
            }
            WebSocketServerHandshaker h = new WebSocketServerHandshakerFactory("ws://" + req.headers().get(HttpHeaderNames.HOST) + req.uri(),
                    null, false, 1 << 20).newHandshaker(req);
            if (h == null) {
                WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel()).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            Channel c = ctx.channel();
            ctx.pipeline().replace(this, "frames", new Frames());
            String known = new QueryStringDecoder(req.uri()).parameters().getOrDefault("known", List.of("")).get(0);
            h.handshake(c, req).addListener(f -> {
                if (!f.isSuccess()) return;
                channels.add(c);
                c.closeFuture().addListener(x -> channels.remove(c));
                // a poller that connects again behind the release hears it at once, as from the real server
                PreparedText now = releases.behind(known);
                if (now != null) c.writeAndFlush(now.wire(), c.voidPromise());
            });
        }
    }

    /** What a poller sends on its channel: a report, answered with the prepared frame; pings and closes as RFC 6455 asks. */
    private final class Frames extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame f) {
            if (f instanceof TextWebSocketFrame) {
                ctx.writeAndFlush(releases.answer().wire(), ctx.voidPromise());
            } else if (f instanceof PingWebSocketFrame) {
                ctx.writeAndFlush(new PongWebSocketFrame(f.content().retain()), ctx.voidPromise());
            } else if (f instanceof CloseWebSocketFrame close) {
                closed.merge(close.statusCode() + " " + close.reasonText(), 1, Integer::sum);
                ctx.writeAndFlush(f.retain()).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            closed.merge("error " + cause, 1, Integer::sum);
            ctx.close();
        }
    }
}
