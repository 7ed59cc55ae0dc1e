package dev.rollguard.sim;

import dev.rollguard.Json;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.web.PreparedText;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The floor under the floor ({@code bench push --floor}, the {@code socket} row): the same pollers, connections and bytes
 * on the wire as {@link ChannelFloor}'s Jetty server, served by plain {@code java.nio} with no web server at all. Per agent
 * it does what the Jetty floor does: answers the registration's POST, the HTTP/1.1 upgrade (RFC 6455's
 * {@code Sec-WebSocket-Accept}), then per release writes the release frame (prepared once in a direct buffer, a view per
 * connection), reads the agent's masked report frame and writes the report's answer frame (prepared once per version).
 * Each of {@link #selectors} threads owns its connections: it reads, answers and writes the release to them itself, so
 * there is no hand-off between threads and no lock; the first also accepts and deals the connections out in turn.
 *
 * <p>A measuring instrument, not a server: no TLS, no routing beyond "an upgrade or a registration", requests and frames
 * of at most 64 KiB, no idle timeouts, no back-pressure beyond queueing what a full socket did not take. What it costs per
 * agent is what any server on this JVM and kernel pays for these bytes: the limit under Jetty's floor.
 */
public final class SocketFloor implements ChannelFloor.Server {
    /** RFC 6455, 1.3: the key's answer is SHA-1 of the key and this GUID, in base64. */
    static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    /** The most a request head, a registration or a frame may take: this floor's buffer per thread. */
    static final int MAX_READ = 64 * 1024;
    private static final byte[] HEAD_END = {'\r', '\n', '\r', '\n'};

    /** A release as written: its version, its frame and a report's answer frame, each built once. */
    private record Release(int version, ByteBuffer frame, ByteBuffer answer) {}

    private final ServerSocketChannel server;
    private final Loop[] loops;
    private final AtomicInteger connected = new AtomicInteger();
    private final Map<String, Integer> closed = new ConcurrentHashMap<>();
    private volatile Release current = new Release(0, null, PreparedText.textFrame(ChannelFloor.reported(0)));
    private volatile Release prepared;
    private volatile boolean running = true;

    /** Listens on loopback (a free port) with {@code selectors} threads, each with its own selector. */
    public SocketFloor(int selectors) throws IOException {
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
        server.configureBlocking(false);
        loops = new Loop[selectors];
        for (int i = 0; i < selectors; i++) loops[i] = new Loop(i);
        server.register(loops[0].selector, SelectionKey.OP_ACCEPT);
        for (Loop l : loops) l.thread.start();
    }

    /**
     * The threads {@code bench push --floor} serves with: {@code -Drollguard.floor.selectors=N}, else one, the cheapest
     * measured on the 2-core machine with the pollers on it (22-28 µs per agent against 27-45 µs with one per core).
     */
    public static int selectors() {
        return Integer.getInteger("rollguard.floor.selectors", 1);
    }

    /** The floor's figures over the same pollers as {@link ChannelFloor#run} (the last of its releases). */
    public static RolloutBenchmark.Push run(int agents, PrintWriter log) throws Exception {
        try (SocketFloor floor = new SocketFloor(selectors())) {
            return ChannelFloor.drive(floor, agents, log);
        }
    }

    @Override
    public String url() {
        return "http://127.0.0.1:" + server.socket().getLocalPort();
    }

    @Override
    public int connected() {
        return connected.get();
    }

    @Override
    public Map<String, Integer> closed() {
        return closed;
    }

    @Override
    public void prepare(int version, String release, String answer) {
        prepared = new Release(version, PreparedText.textFrame(release), PreparedText.textFrame(answer));
    }

    @Override
    public void release() {
        current = prepared;
        for (Loop l : loops) {
            l.releaseDue = true;
            l.selector.wakeup();
        }
    }

    @Override
    public void close() {
        running = false;
        for (Loop l : loops) {
            l.selector.wakeup();
            try {
                l.thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** RFC 6455's {@code Sec-WebSocket-Accept} for a client's {@code Sec-WebSocket-Key}. */
    static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key.trim() + WEBSOCKET_GUID).getBytes(StandardCharsets.ISO_8859_1));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }

    /** One connection: what it has read and not yet used, whether it is a WebSocket yet, what a full socket did not take. */
    private static final class Conn {
        final SocketChannel channel;
        SelectionKey key;
        byte[] rest;
        boolean ws;
        ArrayDeque<ByteBuffer> out;

        Conn(SocketChannel channel) {
            this.channel = channel;
        }
    }

    /** A request's head: its line and its headers (names in lower case), and the bytes it took. */
    record Head(String method, String target, Map<String, String> headers, int length) {}

    /** The request head at {@code buf[from, end)}, or null while it is incomplete. */
    static Head head(byte[] buf, int from, int end) {
        int at = HttpExchange.indexOf(buf, from, end, HEAD_END);
        if (at < 0) return null;
        String[] lines = new String(buf, from, at - from, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] line = lines[0].split(" ");
        if (line.length != 3) throw new IllegalArgumentException("not an HTTP request: " + lines[0]);
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        return new Head(line[0], line[1], headers, at + HEAD_END.length - from);
    }

    /** The {@code known} parameter of a request's target, or null. */
    static String known(String target) {
        int q = target.indexOf('?');
        if (q < 0) return null;
        for (String p : target.substring(q + 1).split("&")) if (p.startsWith("known=")) return p.substring(6);
        return null;
    }

    /** One selector and its thread, with the connections it owns. */
    private final class Loop {
        final Selector selector;
        final Thread thread;
        final int index;
        final ConcurrentLinkedQueue<SocketChannel> adopted = new ConcurrentLinkedQueue<>();
        final byte[] buf = new byte[MAX_READ];
        final ByteBuffer in = ByteBuffer.wrap(buf);
        volatile boolean releaseDue;
        int nextLoop;

        Loop(int index) throws IOException {
            this.index = index;
            this.selector = Selector.open();
            this.thread = new Thread(this::run, "socket-floor-" + index);
            this.thread.setDaemon(true);
        }

        void run() {
            try {
                while (running) {
                    selector.select();
                    SocketChannel c;
                    while ((c = adopted.poll()) != null) own(c);
                    if (releaseDue) {
                        releaseDue = false;
                        ByteBuffer frame = current.frame();
                        for (SelectionKey k : selector.keys()) {
                            if (!(k.attachment() instanceof Conn conn) || !conn.ws || !k.isValid()) continue;
                            try {
                                send(conn, frame.duplicate());
                            } catch (IOException e) {
                                close(conn, "error " + e);
                            }
                        }
                    }
                    for (SelectionKey k : selector.selectedKeys()) {
                        if (!k.isValid()) continue;
                        if (k.isAcceptable()) {
                            acceptAll();
                            continue;
                        }
                        Conn conn = (Conn) k.attachment();
                        try {
                            if (k.isWritable()) drain(conn);
                            if (k.isValid() && k.isReadable()) read(conn);
                        } catch (IOException | RuntimeException e) {
                            close(conn, "error " + e);
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                for (SelectionKey k : selector.keys()) {
                    try {
                        k.channel().close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
                try {
                    selector.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }

        /** New connections, dealt to the loops in turn. */
        private void acceptAll() throws IOException {
            SocketChannel c;
            while ((c = server.accept()) != null) {
                Loop to = loops[nextLoop];
                nextLoop = (nextLoop + 1) % loops.length;
                if (to == this) {
                    own(c);
                } else {
                    to.adopted.add(c);
                    to.selector.wakeup();
                }
            }
        }

        private void own(SocketChannel c) throws IOException {
            c.configureBlocking(false);
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Conn conn = new Conn(c);
            conn.key = c.register(selector, SelectionKey.OP_READ, conn);
        }

        private void read(Conn conn) throws IOException {
            in.clear();
            if (conn.rest != null) {
                in.put(conn.rest);
                conn.rest = null;
            }
            int n = conn.channel.read(in);
            if (n < 0) {
                close(conn, "closed by the client");
                return;
            }
            int end = in.position();
            int used = conn.ws ? frames(conn, 0, end) : request(conn, 0, end);
            if (used < end && conn.channel.isOpen()) {
                if (end == buf.length && used == 0) throw new IOException("a request or frame over " + MAX_READ + " bytes");
                conn.rest = Arrays.copyOfRange(buf, used, end);
            }
        }

        /**
         * The HTTP requests at {@code buf[from, end)}: registrations' POSTs (keep-alive) or the channel's upgrade, after which
         * the bytes are frames; answers the bytes used.
         */
        private int request(Conn conn, int from, int end) throws IOException {
            int at = from;
            while (conn.channel.isOpen()) {
                Head h = head(buf, at, end);
                if (h == null) break;
                if ("websocket".equalsIgnoreCase(h.headers().get("upgrade")) && h.headers().containsKey("sec-websocket-key")) {
                    send(conn, ByteBuffer.wrap(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Accept: " + accept(h.headers().get("sec-websocket-key")) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)));
                    conn.ws = true;
                    connected.incrementAndGet();
                    // a poller that connects again behind the release hears it at once, as from the Jetty floor and the real server
                    Release r = current;
                    if (r.frame() != null && !String.valueOf(r.version()).equals(known(h.target()))) send(conn, r.frame().duplicate());
                    at += h.length();
                    return at - from + frames(conn, at, end);
                }
                int length = Integer.parseInt(h.headers().getOrDefault("content-length", "0"));
                if (end - at - h.length() < length) break;
                String body;
                int status;
                if (h.method().equals("POST") && h.target().equals(AgentProtocol.REGISTER_PATH)) {
                    String json = new String(buf, at + h.length(), length, StandardCharsets.UTF_8);
                    body = Json.write(new AgentProtocol.Registered(Json.read(json, AgentProtocol.Register.class).host(), null, 500L));
                    status = 200;
                } else {
                    body = "{\"error\":\"not_found\"}";
                    status = 404;
                }
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                send(conn, ByteBuffer.wrap(("HTTP/1.1 " + status + (status == 200 ? " OK" : " Not Found")
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8)));
                at += h.length() + length;
                if ("close".equalsIgnoreCase(h.headers().get("connection"))) close(conn, null);
            }
            return at - from;
        }

        /** The client's frames at {@code buf[from, end)}: a report is answered, a ping ponged, a close closed; answers the bytes used. */
        private int frames(Conn conn, int from, int end) throws IOException {
            int at = from;
            WsFrames.Frame f;
            while (conn.channel.isOpen() && (f = WsFrames.next(buf, at, end)) != null) {
                at += f.length();
                switch (f.opcode()) {
                    case WsFrames.TEXT, WsFrames.CONTINUATION -> {
                        if (f.fin()) send(conn, current.answer().duplicate());
                    }
                    case WsFrames.PING -> send(conn, PreparedText.serverFrame(WsFrames.PONG,
                            Arrays.copyOfRange(buf, f.payloadAt(), f.payloadAt() + f.payloadLength())));
                    case WsFrames.CLOSE -> close(conn, "closed by the client");
                    default -> { } // a pong: nothing to do
                }
            }
            return at - from;
        }

        /** Writes {@code b} now, or after what is queued; what a full socket does not take waits for it to be writable. */
        private void send(Conn conn, ByteBuffer b) throws IOException {
            if (conn.out == null) {
                conn.channel.write(b);
                if (!b.hasRemaining()) return;
                conn.out = new ArrayDeque<>();
                conn.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
            conn.out.add(b);
        }

        private void drain(Conn conn) throws IOException {
            while (conn.out != null) {
                ByteBuffer b = conn.out.peek();
                conn.channel.write(b);
                if (b.hasRemaining()) return;
                conn.out.poll();
                if (conn.out.isEmpty()) {
                    conn.out = null;
                    conn.key.interestOps(SelectionKey.OP_READ);
                }
            }
        }

        private void close(Conn conn, String why) {
            if (conn.ws && conn.channel.isOpen()) connected.decrementAndGet();
            if (why != null && conn.ws) closed.merge(why, 1, Integer::sum);
            try {
                conn.channel.close();
            } catch (IOException ignored) {
                // closed either way
            }
        }
    }
}
