package dev.rollguard.web;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * One agent's channel on Netty ({@link NettyChannel}), once upgraded: the channel's {@link AgentChannel.Connection} (what the
 * wait chain and the report writer call, from their own threads) and the handler of the frames the agent sends (on the
 * connection's event loop). A release frame and a report's common answer are written as the bytes prepared once
 * ({@link PreparedText#wire}), past Netty's frame encoder; a connection whose unsent bytes pass the write buffer's high
 * mark (an agent that does not read) is closed instead of queueing without end: the agent reconnects and long-polls.
 */
final class NettyConnection extends SimpleChannelInboundHandler<WebSocketFrame> implements AgentChannel.Connection {
    /** An empty ping, the heartbeat: the same two bytes for every connection. */
    private static final ByteBuf PING = Unpooled.unreleasableBuffer(Unpooled.directBuffer(2).writeByte(0x89).writeByte(0).asReadOnly());

    private final Channel channel;
    private final AgentChannel logic;
    private final AgentChannel.Host host;

    NettyConnection(Channel channel, AgentChannel logic, AgentChannel.Host host) {
        this.channel = channel;
        this.logic = logic;
        this.host = host;
    }

    // ------------------------------------------------------------------ what the channel's logic does with it

    @Override
    public void send(PreparedText frame) {
        if (writable()) channel.writeAndFlush(frame.wire(), channel.voidPromise());
    }

    @Override
    public void send(String text) {
        if (writable()) channel.writeAndFlush(new TextWebSocketFrame(text), channel.voidPromise());
    }

    @Override
    public void ping() {
        if (writable()) channel.writeAndFlush(PING.duplicate(), channel.voidPromise());
    }

    @Override
    public void close(int code, String reason) {
        channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public boolean isOpen() {
        return channel.isActive();
    }

    /** Whether the connection takes more: past the high mark its agent has stopped reading, and it is closed. */
    private boolean writable() {
        if (channel.isWritable()) return true;
        channel.close();
        return false;
    }

    // ------------------------------------------------------------------ what the agent sends (the event loop's)

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof TextWebSocketFrame text) {
            logic.report(this, host, text.text());
        } else if (frame instanceof PingWebSocketFrame) {
            ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()), ctx.voidPromise());
        } else if (frame instanceof CloseWebSocketFrame) {
            // the agent closes: its close echoed, as RFC 6455 asks, then the connection ends
            ctx.writeAndFlush(frame.retain()).addListener(ChannelFutureListener.CLOSE);
        } else if (!(frame instanceof PongWebSocketFrame)) {
            close(1003, "the channel carries text frames");
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        // nothing read for the idle timeout, not even a pong to the heartbeat's pings: the agent is gone
        if (evt instanceof IdleStateEvent) ctx.close();
        else super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a message over the limit (in several frames: one frame over it the decoder closes with 1009 itself)
        if (cause instanceof TooLongFrameException) close(AgentChannel.MESSAGE_TOO_BIG, "a report is at most " + AgentChannel.MAX_REPORT_BYTES + " bytes");
        else ctx.close();
    }
}
