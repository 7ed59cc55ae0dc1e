package dev.rollguard.web;

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
 * each connection reading it through its own view (a frame's buffer is consumed as it is written).
 */
public final class PreparedText {
    private final ByteBuffer payload;

    public PreparedText(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        this.payload = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip().asReadOnlyBuffer();
    }

    /** A whole text frame of the payload, for one connection: its own position, the shared bytes. */
    Frame frame() {
        return new Frame(OpCode.TEXT, payload.duplicate());
    }

    /** Writes the frame to a Jetty WebSocket session without waiting for the write (a failed write closes the session). */
    public void send(Session session) {
        ((WebSocketSession) session).getCoreSession().sendFrame(frame(), Callback.NOOP, false);
    }
}
