package dev.rollguard.sim;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/** One simulated agent's connection and where it is in the protocol: the state {@link NioPollers}' thread alone reads and writes. */
final class PollerConn {
    /**
     * A conversation's step; STREAM: the agent's stream is open and events arrive on it, CHANNEL: the agent's channel is open
     * (releases arrive and reports go out on it), IDLE: a report connection at rest.
     */
    enum Step { POLL, BUNDLE, REPORT, STREAM, CHANNEL, IDLE }

    final int agent;
    final String host;
    final InetSocketAddress address;
    final String authority;
    SocketChannel channel;
    SelectionKey key;
    ByteBuffer out;
    byte[] in = new byte[4096];
    int inEnd;
    Step step;
    /** The version the agent holds ({@link HttpExchange#ABSENT}: none yet), and the one it applied last. */
    int known = HttpExchange.ABSENT;
    int pending;
    /** Stream agents: the stream's response headers were read, and whether its body is chunked. */
    boolean streaming;
    boolean chunked;
    /** Stream agents: the decoded stream not yet split into events. */
    HttpExchange.Bytes events;
    /**
     * Channel agents: a report sent and not yet answered (sent again on a new connection), and a message's frames so far
     * (null while none: a message in one frame, the server's way, is read where it arrived).
     */
    boolean unanswered;
    ByteArrayOutputStream message;
    /** Stream agents: the connection their reports go out on (the stream's is busy). */
    PollerConn reporter;
    final boolean reportOnly;
    /** Counted among the agents listening for releases (it held its channel or stream, or sent its first long-poll, once). */
    boolean counted;

    PollerConn(int agent, String host, URI base, boolean reportOnly) {
        this.reportOnly = reportOnly;
        this.agent = agent;
        this.host = host;
        this.address = new InetSocketAddress(base.getHost(), base.getPort());
        this.authority = base.getHost() + ":" + base.getPort();
    }
}
