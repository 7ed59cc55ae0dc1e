package dev.rollguard.sim;

import dev.rollguard.protocol.AgentProtocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The pollers' network side on one thread: one keep-alive connection per agent, driven by a selector, each speaking
 * the agent protocol one request at a time as the agent does (long-poll with the bundle inline; fetch the bundle when it
 * did not come along; report what was applied; poll again). A poller costs a few small writes and reads per release, so
 * that a benchmark of 10,000 of them measures the server rather than its clients.
 */
final class NioPollers implements AutoCloseable {
    /** What the pollers report upward: agent {@code i} applied {@code version}. */
    interface Applied {
        void applied(int agent, int version);
    }

    /**
     * A conversation's step; STREAM: the agent's stream is open and events arrive on it, CHANNEL: the agent's channel is open
     * (releases arrive and reports go out on it), IDLE: a report connection at rest.
     */
    private enum Step { POLL, BUNDLE, REPORT, STREAM, CHANNEL, IDLE }

    /** One agent's connection and where it is in the protocol. */
    private final class Conn {
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
        String known = AgentProtocol.NONE;
        int pending;
        /** Stream agents: the stream's response headers were read, and whether its body is chunked. */
        boolean streaming;
        boolean chunked;
        /** Stream agents: the decoded stream not yet split into events. */
        StringBuilder events;
        /** Channel agents: a report sent and not yet answered (sent again on a new connection), and a message's frames so far. */
        boolean unanswered;
        ByteArrayOutputStream message;
        /** Stream agents: the connection their reports go out on (the stream's is busy). */
        Conn reporter;
        final boolean reportOnly;

        Conn(int agent, String host, URI base, boolean reportOnly) {
            this.reportOnly = reportOnly;
            this.agent = agent;
            this.host = host;
            this.address = new InetSocketAddress(base.getHost(), base.getPort());
            this.authority = base.getHost() + ":" + base.getPort();
        }
    }

    /** At {@code at}: {@code conn} connects again, or (a channel's refused report) reports again. */
    private record Timer(long at, Conn conn, boolean report) {}

    private final String service;
    private final String env;
    private final String token;
    private final Applied applied;
    private final Selector selector;
    private final List<Conn> conns = new ArrayList<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));
    private final ConcurrentLinkedQueue<Conn> toStart = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private final boolean stream;
    private final PollerSwarm.Transport transport;
    private final SplittableRandom random = new SplittableRandom();
    /**
     * Stream agents' reports open a connection each and close it after the answer: with the streams' own connections, one
     * kept per agent would need two sockets per agent in each process (10,000 agents: over this machine's 20,000 open
     * files). At most this many are open at once; the others wait their turn.
     */
    private static final int MAX_REPORTING = 2000;
    private final ArrayDeque<Conn> reportsWaiting = new ArrayDeque<>();
    private int reporting;
    private volatile boolean running = true;

    /**
     * {@code transport}: the agents long-poll (and report on the same connection), follow the server's stream (and report on
     * a second connection), or hold a channel (a WebSocket: releases and reports on one connection).
     */
    NioPollers(String service, String env, String token, PollerSwarm.Transport transport, Applied applied) throws IOException {
        this.transport = transport;
        this.stream = transport == PollerSwarm.Transport.STREAM;
        this.service = service;
        this.env = env;
        this.token = token;
        this.applied = applied;
        this.selector = Selector.open();
        this.thread = new Thread(this::loop, "pollers-nio");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Starts agent {@code i}'s long-poll against {@code base} (it registered already). */
    void start(int agent, String host, URI base) {
        toStart.add(new Conn(agent, host, base, false));
        selector.wakeup();
    }

    /** CPU time of the pollers' thread so far (nanoseconds): what the simulated fleet cost. */
    long cpuNanos() {
        return ManagementFactory.getThreadMXBean().getThreadCpuTime(thread.getId());
    }

    private void loop() {
        try {
            while (running) {
                long now = System.nanoTime();
                Timer t;
                while ((t = timers.peek()) != null && t.at <= now) {
                    timers.poll();
                    if (t.report) reportOnChannel(t.conn);
                    else connect(t.conn);
                }
                Conn c;
                while ((c = toStart.poll()) != null) {
                    conns.add(c);
                    connect(c);
                }
                long wait = timers.isEmpty() ? 1000 : Math.max(1, (timers.peek().at - System.nanoTime()) / 1_000_000);
                selector.select(wait);
                for (SelectionKey k : selector.selectedKeys()) {
                    Conn conn = (Conn) k.attachment();
                    try {
                        if (!k.isValid()) continue;
                        if (k.isConnectable()) {
                            conn.channel.finishConnect();
                            k.interestOps(SelectionKey.OP_WRITE);
                        }
                        if (k.isValid() && k.isWritable()) write(conn);
                        if (k.isValid() && k.isReadable()) read(conn);
                    } catch (IOException | RuntimeException e) {
                        retry(conn);
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (Conn c : conns) closeQuietly(c);
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** (Re)connects and sends the step the agent was at: a report lost with its connection is sent again, as the agent does. */
    private void connect(Conn c) {
        try {
            open(c);
            send(c, c.step == null ? first() : c.step);
        } catch (IOException e) {
            retry(c);
        }
    }

    private Step first() {
        return switch (transport) {
            case LONG_POLL -> Step.POLL;
            case STREAM -> Step.STREAM;
            case CHANNEL -> Step.CHANNEL;
        };
    }

    /** A fresh connection for {@code c}; what it has to send ({@code c.out}) goes out once it is connected. */
    private void open(Conn c) throws IOException {
        closeQuietly(c);
        c.channel = SocketChannel.open();
        c.channel.configureBlocking(false);
        c.channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        c.inEnd = 0;
        boolean now = c.channel.connect(c.address);
        c.key = c.channel.register(selector, now ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, c);
    }

    /** Like the agent after a failed exchange: a fresh connection after half a second. */
    private void retry(Conn c) {
        closeQuietly(c);
        // a report connection at rest that the server closed is opened again with the next report
        if (c.step == Step.IDLE) return;
        if (running) timers.add(new Timer(System.nanoTime() + 500_000_000L, c, false));
    }

    private static void closeQuietly(Conn c) {
        try {
            if (c.channel != null) c.channel.close();
        } catch (IOException ignored) {
            // the connection is gone either way
        }
    }

    private void send(Conn c, Step step) {
        c.step = step;
        String request = switch (step) {
            case POLL -> "GET " + AgentProtocol.desiredPath(service, env, c.host, c.known, true, 30) + " HTTP/1.1\r\n"
                    + headers(c) + "\r\n";
            case BUNDLE -> "GET " + AgentProtocol.bundlePath(service, c.pending, env, c.host) + " HTTP/1.1\r\n" + headers(c) + "\r\n";
            case STREAM -> {
                c.streaming = false;
                c.events = new StringBuilder();
                yield "GET " + AgentProtocol.streamPath(service, env, c.host, c.known, 0) + " HTTP/1.1\r\n" + headers(c)
                        + "Accept: text/event-stream\r\n\r\n";
            }
            case CHANNEL -> {
                c.streaming = false;
                c.message = new ByteArrayOutputStream();
                yield "GET " + AgentProtocol.channelPath(service, env, c.host, c.known, 0) + " HTTP/1.1\r\n" + headers(c)
                        + WsFrames.upgradeHeaders(random);
            }
            case IDLE -> throw new IllegalStateException("nothing to send at rest");
            case REPORT -> {
                String body = reportBody(c.pending);
                yield "POST " + AgentProtocol.reportPath(service, env, c.host) + " HTTP/1.1\r\n" + headers(c)
                        + (c.reportOnly ? "Connection: close\r\n" : "")
                        + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
            }
        };
        c.out = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
        if (c.key != null && c.key.isValid() && (c.key.interestOps() & SelectionKey.OP_CONNECT) == 0) {
            c.key.interestOps(SelectionKey.OP_WRITE);
        }
    }

    /** What the agent reports after applying {@code version}: the same JSON as the agent's, with no traffic samples. */
    private static String reportBody(int version) {
        return "{\"appliedVersion\":" + version + ",\"failedVersion\":null,\"applyError\":null,\"samples\":[]}";
    }

    private String headers(Conn c) {
        return "Host: " + c.authority + "\r\nAuthorization: Bearer " + token + "\r\n";
    }

    private void write(Conn c) throws IOException {
        c.channel.write(c.out);
        if (!c.out.hasRemaining()) {
            c.out = null;
            c.key.interestOps(SelectionKey.OP_READ);
        }
    }

    /** A frame for an open channel, after whatever it still has to send. */
    private void queue(Conn c, byte[] frame) {
        if (c.out != null && c.out.hasRemaining()) {
            ByteBuffer joined = ByteBuffer.allocate(c.out.remaining() + frame.length);
            joined.put(c.out).put(frame).flip();
            c.out = joined;
        } else {
            c.out = ByteBuffer.wrap(frame);
        }
        if (c.key != null && c.key.isValid()) c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }

    private void read(Conn c) throws IOException {
        if (c.inEnd == c.in.length) c.in = Arrays.copyOf(c.in, c.in.length * 2);
        int n = c.channel.read(ByteBuffer.wrap(c.in, c.inEnd, c.in.length - c.inEnd));
        if (n < 0) throw new IOException("the server closed the connection");
        c.inEnd += n;
        if (c.step == Step.STREAM) {
            readStream(c);
            return;
        }
        if (c.step == Step.CHANNEL) {
            readChannel(c);
            return;
        }
        HttpExchange.Response r = HttpExchange.parse(c.in, c.inEnd);
        if (r == null) return;
        // one request at a time on a connection: nothing follows a response
        c.inEnd = 0;
        if (c.in.length > 4096) c.in = new byte[4096];
        answered(c, r);
        // the next step goes out on a fresh connection, as any HTTP client does after Connection: close
        if (r.close() && c.channel.isOpen()) open(c);
    }

    /** The protocol's next step after an answer (a failed answer is tried again, like the agent does). */
    private void answered(Conn c, HttpExchange.Response r) {
        if (r.status() != 200) {
            retry(c);
            return;
        }
        switch (c.step) {
            case POLL -> {
                Integer desired = HttpExchange.intField(r.body(), "desiredVersion");
                String now = AgentProtocol.known(desired);
                if (desired != null && !now.equals(c.known)) {
                    c.pending = desired;
                    c.known = now;
                    // the bundle came with the answer, or is fetched when it was too large to ride along
                    if (contains(r.body(), "\"bundle\":{")) {
                        applied.applied(c.agent, desired);
                        send(c, Step.REPORT);
                    } else {
                        send(c, Step.BUNDLE);
                    }
                } else {
                    c.known = now;
                    send(c, Step.POLL);
                }
            }
            case BUNDLE -> {
                applied.applied(c.agent, c.pending);
                send(c, Step.REPORT);
            }
            case REPORT -> {
                if (c.reportOnly) {
                    c.step = Step.IDLE;
                    closeQuietly(c);
                    reported();
                } else {
                    send(c, Step.POLL);
                }
            }
            case STREAM, CHANNEL, IDLE -> throw new IllegalStateException("a stream's or channel's answer is read as events");
        }
    }

    /** The stream's bytes: its headers once, then events as they complete ("event: desired" + "data: {...}" + a blank line). */
    private void readStream(Conn c) throws IOException {
        int from = 0;
        if (!c.streaming) {
            HttpExchange.Head head = HttpExchange.head(c.in, c.inEnd);
            if (head == null) return;
            if (head.status() != 200) throw new IOException("the stream was refused: " + head.status());
            c.streaming = true;
            c.chunked = head.chunked();
            from = head.length();
        }
        from = c.chunked ? HttpExchange.dechunk(c.in, from, c.inEnd, c.events) : append(c.in, from, c.inEnd, c.events);
        System.arraycopy(c.in, from, c.in, 0, c.inEnd - from);
        c.inEnd -= from;
        int end;
        while ((end = c.events.indexOf("\n\n")) >= 0) {
            String event = c.events.substring(0, end);
            c.events.delete(0, end + 2);
            if (!event.contains("event: desired") && !event.contains("event:desired")) continue;
            int data = event.indexOf("data:");
            if (data < 0) continue;
            byte[] json = event.substring(data + 5).trim().getBytes(StandardCharsets.UTF_8);
            Integer desired = HttpExchange.intField(json, "desiredVersion");
            String now = AgentProtocol.known(desired);
            if (desired == null || now.equals(c.known)) continue;
            c.known = now;
            if (!contains(json, "\"bundle\":{")) continue; // too large to ride along: not what this benchmark releases
            applied.applied(c.agent, desired);
            report(c, desired);
        }
    }

    /**
     * The channel's bytes: the upgrade's answer once, then frames: a ping is answered with a pong (as any WebSocket client
     * does), a release is applied and reported on the same connection, a report's answer ends its wait, a refused report is
     * sent again half a second later (as the agent does after a failed report).
     */
    private void readChannel(Conn c) throws IOException {
        int from = 0;
        if (!c.streaming) {
            HttpExchange.Head head = HttpExchange.head(c.in, c.inEnd);
            if (head == null) return;
            if (head.status() != 101) throw new IOException("the channel was refused: " + head.status());
            c.streaming = true;
            from = head.length();
            // a report the previous connection took with it, unanswered: sent again
            if (c.unanswered) reportOnChannel(c);
        }
        WsFrames.Frame f;
        while ((f = WsFrames.next(c.in, from, c.inEnd)) != null) {
            from += f.length();
            switch (f.opcode()) {
                case WsFrames.PING -> queue(c, WsFrames.client(WsFrames.PONG, f.payload(), random));
                case WsFrames.CLOSE -> throw new IOException("the server closed the channel");
                case WsFrames.TEXT, WsFrames.CONTINUATION -> {
                    c.message.write(f.payload());
                    if (f.fin()) {
                        byte[] json = c.message.toByteArray();
                        c.message.reset();
                        channelMessage(c, json);
                    }
                }
                default -> { } // pongs and anything else: nothing to do
            }
        }
        System.arraycopy(c.in, from, c.in, 0, c.inEnd - from);
        c.inEnd -= from;
    }

    private void channelMessage(Conn c, byte[] json) {
        if (startsWith(json, "{\"reported\"")) {
            c.unanswered = false;
        } else if (startsWith(json, "{\"error\"")) {
            timers.add(new Timer(System.nanoTime() + 500_000_000L, c, true));
        } else if (startsWith(json, "{\"desired\"")) {
            Integer desired = HttpExchange.intField(json, "desiredVersion");
            String now = AgentProtocol.known(desired);
            if (desired == null || now.equals(c.known)) return;
            c.known = now;
            if (!contains(json, "\"bundle\":{")) return; // too large to ride along: not what this benchmark releases
            c.pending = desired;
            applied.applied(c.agent, desired);
            reportOnChannel(c);
        }
    }

    /** The latest applied version reported on the channel (when it is open; else once it is open again). */
    private void reportOnChannel(Conn c) {
        c.unanswered = true;
        if (c.streaming && c.channel != null && c.channel.isOpen()) queue(c, WsFrames.text(reportBody(c.pending), random));
    }

    private static boolean startsWith(byte[] b, String prefix) {
        if (b.length < prefix.length()) return false;
        for (int i = 0; i < prefix.length(); i++) if (b[i] != prefix.charAt(i)) return false;
        return true;
    }

    private static int append(byte[] buf, int from, int end, StringBuilder to) {
        to.append(new String(buf, from, end - from, StandardCharsets.UTF_8));
        return end;
    }

    /** A stream agent's report, on a connection of its own for the one exchange (in turn, {@link #MAX_REPORTING} at a time). */
    private void report(Conn stream, int version) {
        Conn r = stream.reporter;
        if (r == null) {
            r = new Conn(stream.agent, stream.host, URI.create("http://" + stream.authority), true);
            stream.reporter = r;
        }
        r.pending = version;
        if (r.step == Step.REPORT) return; // already under way: it sends the latest version when it goes out
        r.step = Step.REPORT;
        if (reporting < MAX_REPORTING) {
            reporting++;
            connect(r);
        } else {
            reportsWaiting.add(r);
        }
    }

    /** A report connection finished its exchange: the next waiting report takes its place. */
    private void reported() {
        Conn next = reportsWaiting.poll();
        if (next == null) reporting--;
        else connect(next);
    }

    private static boolean contains(byte[] body, String what) {
        return new String(body, StandardCharsets.ISO_8859_1).contains(what);
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
