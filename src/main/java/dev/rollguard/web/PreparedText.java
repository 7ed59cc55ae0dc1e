package dev.rollguard.web;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.common.WebSocketSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A text frame's payload encoded once for every connection it goes to (a release's answer on the agents' channels,
 * {@link AgentChannel}; and the floor of {@code bench push --floor}): Jetty's
 * {@code sendString} encodes the string to UTF-8 on every call, and the JDK then copies that heap buffer into a direct
 * one for the socket's write; this is the UTF-8 in a direct buffer, handed to Jetty's core session as a finished frame,
 * each connection reading it through its own view (a frame's buffer is consumed as it is written). The same bytes also
 * sit behind a whole server frame (RFC 6455's head, unmasked, then the payload) for the Netty channel
 * ({@link NettyChannel}): written as they are, past Netty's frame encoder, each connection through its own duplicate.
 */
public final class PreparedText {
    private final ByteBuffer payload;
    /**
     * Head and payload in one direct buffer: each write takes a retained duplicate and releases it once written; the count
     * never reaches zero (this holds one), and the JDK's buffer under it is freed with it by the collector.
     */
    private final ByteBuf frame;

    public PreparedText(String text) {
        ByteBuffer whole = textFrame(text);
        // the head's length, told by its length byte: 127 and 126 say 8 and 2 more bytes of length follow
        int length = whole.get(1) & 0x7F;
        int head = length == 127 ? 10 : length == 126 ? 4 : 2;
        this.payload = whole.duplicate().position(head).slice().asReadOnlyBuffer();
        this.frame = Unpooled.wrappedBuffer(whole);
    }

    /** A server's whole text frame of {@code text} ({@link #serverFrame}). */
    public static ByteBuffer textFrame(String text) {
        return serverFrame(0x1, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A server's whole frame of {@code opcode} and {@code payload} (RFC 6455: FIN, unmasked, the payload's length in the
     * head's shortest form), read-only in a direct buffer: each connection reads it through a view of its own.
     */
    public static ByteBuffer serverFrame(int opcode, byte[] payload) {
        int n = payload.length;
        int head = n <= 125 ? 2 : n <= 0xFFFF ? 4 : 10;
        ByteBuffer whole = ByteBuffer.allocateDirect(head + n);
        whole.put((byte) (0x80 | opcode)); // FIN
        if (n <= 125) {
            whole.put((byte) n);
        } else if (n <= 0xFFFF) {
            whole.put((byte) 126).putShort((short) n);
        } else {
            whole.put((byte) 127).putLong(n);
        }
        return whole.put(payload).flip().asReadOnlyBuffer();
    }

    /** A whole text frame of the payload, for one connection: its own position, the shared bytes. */
    Frame frame() {
        return new Frame(OpCode.TEXT, payload.duplicate());
    }

    /** The whole frame on the wire, for one Netty connection: its own indexes, the shared bytes, released by the write. */
    public ByteBuf wire() {
        return frame.retainedDuplicate();
    }

    /** Writes the frame to a Jetty WebSocket session without waiting for the write (a failed write closes the session). */
    public void send(Session session) {
        ((WebSocketSession) session).getCoreSession().sendFrame(frame(), Callback.NOOP, false);
    }
}
