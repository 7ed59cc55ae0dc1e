package dev.rollguard.sim;

import dev.rollguard.protocol.AgentProtocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
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
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The pollers' network side on one thread: one keep-alive connection per agent, driven by a selector, each speaking
 * the agent protocol one request at a time as the agent does (long-poll with the bundle inline; fetch the bundle when it
 * did not come along; report what was applied; poll again). A poller costs a few small writes and reads per release, so
 * that a benchmark of 10,000 of them measures the server rather than its clients.
 */
final class NioPollers implements AutoCloseable {
    /** The pollers' one thread's name: its CPU is theirs, never the servers' (the push benchmark leaves it out of their threads). */
    static final String THREAD = "pollers-nio";
    /** What the pollers report upward: agent {@code i} applied {@code version}. */
    interface Applied {
        void applied(int agent, int version);
    }

    /** At {@code at}: {@code conn} connects again, or (a channel's refused report) reports again. */
    private record Timer(long at, PollerConn conn, boolean report) {}

    private final String service;
    private final String env;
    private final String token;
    private final Applied applied;
    private final Selector selector;
    private final List<PollerConn> conns = new ArrayList<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));
    private final ConcurrentLinkedQueue<PollerConn> toStart = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private final boolean stream;
    private final PollerSwarm.Transport transport;
    private final SplittableRandom random = new SplittableRandom();
    /** Where the pollers' thread spells the frames it sends (a report's, a pong's): copied only when a socket is full. */
    private final byte[] scratch = new byte[512];
    /**
     * Stream agents' reports open a connection each and close it after the answer: with the streams' own connections, one
     * kept per agent would need two sockets per agent in each process (10,000 agents: over this machine's 20,000 open
     * files). At most this many are open at once; the others wait their turn.
     */
    private static final int MAX_REPORTING = 2000;
    private final ArrayDeque<PollerConn> reportsWaiting = new ArrayDeque<>();
    private int reporting;
    private volatile boolean running = true;
    private final AtomicBoolean wakeupDue = new AtomicBoolean();
    private volatile int connected;

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
        this.thread = new Thread(this::loop, THREAD);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Starts agent {@code i}'s long-poll against {@code base} (it registered already). */
    void start(int agent, String host, URI base) {
        toStart.add(new PollerConn(agent, host, base, false));
        // one wakeup for the agents that queue up while the loop is busy, not one each
        if (!wakeupDue.getAndSet(true)) selector.wakeup();
    }

    /** The agents that are listening for releases: their channel or stream open, or their first long-poll sent. */
    int connected() {
        return connected;
    }

    private void listening(PollerConn c) {
        if (c.counted || c.reportOnly) return;
        c.counted = true;
        connected++; // written by the pollers' thread alone
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
                    if (!t.report) {
                        connect(t.conn);
                        continue;
                    }
                    try {
                        reportOnChannel(t.conn);
                    } catch (IOException e) {
                        retry(t.conn);
                    }
                }
                wakeupDue.set(false);
                PollerConn c;
                while ((c = toStart.poll()) != null) {
                    conns.add(c);
                    connect(c);
                }
                long wait = timers.isEmpty() ? 1000 : Math.max(1, (timers.peek().at - System.nanoTime()) / 1_000_000);
                selector.select(wait);
                for (SelectionKey k : selector.selectedKeys()) {
                    PollerConn conn = (PollerConn) k.attachment();
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
            for (PollerConn c : conns) closeQuietly(c);
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** (Re)connects and sends the step the agent was at: a report lost with its connection is sent again, as the agent does. */
    private void connect(PollerConn c) {
        try {
            open(c);
            send(c, c.step == null ? first() : c.step);
        } catch (IOException e) {
            retry(c);
        }
    }

    private PollerConn.Step first() {
        return switch (transport) {
            case LONG_POLL -> PollerConn.Step.POLL;
            case STREAM -> PollerConn.Step.STREAM;
            case CHANNEL -> PollerConn.Step.CHANNEL;
        };
    }

    /** A fresh connection for {@code c}; what it has to send ({@code c.out}) goes out once it is connected. */
    private void open(PollerConn c) throws IOException {
        closeQuietly(c);
        c.channel = SocketChannel.open();
        c.channel.configureBlocking(false);
        c.channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        c.inEnd = 0;
        boolean now = c.channel.connect(c.address);
        c.key = c.channel.register(selector, now ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, c);
    }

    /** Like the agent after a failed exchange: a fresh connection after half a second. */
    private void retry(PollerConn c) {
        closeQuietly(c);
        // a report connection at rest that the server closed is opened again with the next report
        if (c.step == PollerConn.Step.IDLE) return;
        if (running) timers.add(new Timer(System.nanoTime() + 500_000_000L, c, false));
    }

    private static void closeQuietly(PollerConn c) {
        try {
            if (c.channel != null) c.channel.close();
        } catch (IOException ignored) {
            // the connection is gone either way
        }
    }

    private void send(PollerConn c, PollerConn.Step step) throws IOException {
        c.step = step;
        String request = switch (step) {
            case POLL -> "GET " + AgentProtocol.desiredPath(service, env, c.host, knownText(c), true, 30) + " HTTP/1.1\r\n"
                    + headers(c) + "\r\n";
            case BUNDLE -> "GET " + AgentProtocol.bundlePath(service, c.pending, env, c.host) + " HTTP/1.1\r\n" + headers(c) + "\r\n";
            case STREAM -> {
                c.streaming = false;
                c.events = new HttpExchange.Bytes();
                yield "GET " + AgentProtocol.streamPath(service, env, c.host, knownText(c), 0) + " HTTP/1.1\r\n" + headers(c)
                        + "Accept: text/event-stream\r\n\r\n";
            }
            case CHANNEL -> {
                c.streaming = false;
                c.message = null;
                yield "GET " + AgentProtocol.channelPath(service, env, c.host, knownText(c), 0) + " HTTP/1.1\r\n" + headers(c)
                        + WsFrames.upgradeHeaders(random);
            }
            case IDLE -> throw new IllegalStateException("nothing to send at rest");
            case REPORT -> {
                String body = AgentMessages.report(c.pending);
                yield "POST " + AgentProtocol.reportPath(service, env, c.host) + " HTTP/1.1\r\n" + headers(c)
                        + (c.reportOnly ? "Connection: close\r\n" : "")
                        + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
            }
        };
        c.out = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
        if (c.key == null || !c.key.isValid() || (c.key.interestOps() & SelectionKey.OP_CONNECT) != 0) return;
        // connected: written now, the selector asked only for what did not fit (no interest changed and back per request)
        if (c.channel.isConnected()) flush(c);
        else c.key.interestOps(SelectionKey.OP_WRITE);
    }

    private static String knownText(PollerConn c) {
        return AgentProtocol.known(c.known == HttpExchange.ABSENT ? null : c.known);
    }

    private String headers(PollerConn c) {
        return "Host: " + c.authority + "\r\nAuthorization: Bearer " + token + "\r\n";
    }

    private void write(PollerConn c) throws IOException {
        // null: send() wrote it all at once (a connection that was made at once is registered for writing)
        if (c.out != null) c.channel.write(c.out);
        if (c.out == null || !c.out.hasRemaining()) {
            c.out = null;
            c.key.interestOps(SelectionKey.OP_READ);
            if (c.step == PollerConn.Step.POLL) listening(c);
        }
    }

    /** Writes what {@code c} has to send now; what does not fit waits for the selector to say the socket can take it. */
    private void flush(PollerConn c) throws IOException {
        c.channel.write(c.out);
        if (c.out.hasRemaining()) {
            c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        } else {
            c.out = null;
            if (c.step == PollerConn.Step.POLL) listening(c);
        }
    }

    /**
     * A frame ({@code frame[from, from + n)}) for an open channel: after whatever it still has to send, else written at once
     * (the frame's bytes are the caller's to reuse afterwards: what did not fit is copied).
     */
    private static void queue(PollerConn c, byte[] frame, int from, int n) throws IOException {
        if (c.out != null && c.out.hasRemaining()) {
            ByteBuffer joined = ByteBuffer.allocate(c.out.remaining() + n);
            joined.put(c.out).put(frame, from, n).flip();
            c.out = joined;
            return;
        }
        if (c.key == null || !c.key.isValid()) return;
        ByteBuffer b = ByteBuffer.wrap(frame, from, n);
        c.channel.write(b);
        if (!b.hasRemaining()) return;
        c.out = ByteBuffer.allocate(b.remaining()).put(b).flip();
        c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }

    private void read(PollerConn c) throws IOException {
        if (c.inEnd == c.in.length) c.in = Arrays.copyOf(c.in, c.in.length * 2);
        int n = c.channel.read(ByteBuffer.wrap(c.in, c.inEnd, c.in.length - c.inEnd));
        if (n < 0) throw new IOException("the server closed the connection");
        c.inEnd += n;
        if (c.step == PollerConn.Step.STREAM) {
            readStream(c);
            return;
        }
        if (c.step == PollerConn.Step.CHANNEL) {
            readChannel(c);
            return;
        }
        HttpExchange.Response r = HttpExchange.parse(c.in, c.inEnd);
        if (r == null) return;
        // one request at a time on a connection: nothing follows a response
        c.inEnd = 0;
        if (c.in.length > 4096) c.in = new byte[4096];
        // after Connection: close the next step goes out on a fresh connection, as any HTTP client's does: closed first, so
        // that send() does not write it on this one
        if (r.close()) closeQuietly(c);
        answered(c, r);
        if (r.close() && c.out != null) open(c);
    }

    /** The protocol's next step after an answer (a failed answer is tried again, like the agent does). */
    private void answered(PollerConn c, HttpExchange.Response r) throws IOException {
        if (r.status() != 200) {
            retry(c);
            return;
        }
        switch (c.step) {
            case POLL -> {
                byte[] body = r.body();
                int desired = AgentMessages.desiredVersion(body, 0, body.length);
                if (desired != HttpExchange.ABSENT && desired != c.known) {
                    c.pending = desired;
                    c.known = desired;
                    // the bundle came with the answer, or is fetched when it was too large to ride along
                    if (AgentMessages.carriesBundle(body, 0, body.length, desired)) {
                        applied.applied(c.agent, desired);
                        send(c, PollerConn.Step.REPORT);
                    } else {
                        send(c, PollerConn.Step.BUNDLE);
                    }
                } else {
                    c.known = desired;
                    send(c, PollerConn.Step.POLL);
                }
            }
            case BUNDLE -> {
                applied.applied(c.agent, c.pending);
                send(c, PollerConn.Step.REPORT);
            }
            case REPORT -> {
                if (c.reportOnly) {
                    c.step = PollerConn.Step.IDLE;
                    closeQuietly(c);
                    reported();
                } else {
                    send(c, PollerConn.Step.POLL);
                }
            }
            case STREAM, CHANNEL, IDLE -> throw new IllegalStateException("a stream's or channel's answer is read as events");
        }
    }

    /** The stream's bytes: its headers once, then events as they complete ("event: desired" + "data: {...}" + a blank line). */
    private void readStream(PollerConn c) throws IOException {
        int from = 0;
        if (!c.streaming) {
            HttpExchange.Head head = HttpExchange.head(c.in, c.inEnd);
            if (head == null) return;
            if (head.status() != 200) throw new IOException("the stream was refused: " + head.status());
            c.streaming = true;
            listening(c);
            c.chunked = head.chunked();
            from = head.length();
        }
        if (c.chunked) {
            from = HttpExchange.dechunk(c.in, from, c.inEnd, c.events);
        } else {
            c.events.append(c.in, from, c.inEnd - from);
            from = c.inEnd;
        }
        System.arraycopy(c.in, from, c.in, 0, c.inEnd - from);
        c.inEnd -= from;
        byte[] events = c.events.data;
        int start = 0;
        int end;
        while ((end = AgentMessages.eventEnd(events, start, c.events.length)) >= 0) {
            event(c, events, start, end);
            start = end + AgentMessages.EVENT_SEPARATOR;
        }
        c.events.drop(start);
    }

    /** One event of the stream, at {@code b[from, end)}, read in place: a release is applied and reported. */
    private void event(PollerConn c, byte[] b, int from, int end) {
        int data = AgentMessages.desiredData(b, from, end);
        if (data < 0) return;
        int desired = AgentMessages.desiredVersion(b, data, end);
        if (desired == HttpExchange.ABSENT || desired == c.known) return;
        c.known = desired;
        if (!AgentMessages.carriesBundle(b, data, end, desired)) return; // too large to ride along: not what this benchmark releases
        applied.applied(c.agent, desired);
        report(c, desired);
    }

    /**
     * The channel's bytes: the upgrade's answer once, then frames: a ping is answered with a pong (as any WebSocket client
     * does), a release is applied and reported on the same connection, a report's answer ends its wait, a refused report is
     * sent again half a second later (as the agent does after a failed report).
     */
    private void readChannel(PollerConn c) throws IOException {
        int from = 0;
        if (!c.streaming) {
            HttpExchange.Head head = HttpExchange.head(c.in, c.inEnd);
            if (head == null) return;
            if (head.status() != 101) throw new IOException("the channel was refused: " + head.status());
            c.streaming = true;
            listening(c);
            from = head.length();
            // a report the previous connection took with it, unanswered: sent again
            if (c.unanswered) reportOnChannel(c);
        }
        WsFrames.Frame f;
        while ((f = WsFrames.next(c.in, from, c.inEnd)) != null) {
            from += f.length();
            int at = f.payloadAt();
            int n = f.payloadLength();
            switch (f.opcode()) {
                case WsFrames.PING -> frame(c, WsFrames.PONG, c.in, at, n);
                case WsFrames.CLOSE -> throw new IOException("the server closed the channel");
                case WsFrames.TEXT, WsFrames.CONTINUATION -> {
                    if (f.fin() && c.message == null) {
                        channelMessage(c, c.in, at, at + n);
                    } else {
                        if (c.message == null) c.message = new ByteArrayOutputStream();
                        c.message.write(c.in, at, n);
                        if (f.fin()) {
                            byte[] json = c.message.toByteArray();
                            c.message = null;
                            channelMessage(c, json, 0, json.length);
                        }
                    }
                }
                default -> { } // pongs and anything else: nothing to do
            }
        }
        System.arraycopy(c.in, from, c.in, 0, c.inEnd - from);
        c.inEnd -= from;
    }

    /** A message on the channel, the JSON at {@code json[from, end)}: read in place, as far as the agent needs it. */
    private void channelMessage(PollerConn c, byte[] json, int from, int end) throws IOException {
        switch (AgentMessages.kind(json, from, end)) {
            case REPORTED -> c.unanswered = false;
            case ERROR -> timers.add(new Timer(System.nanoTime() + 500_000_000L, c, true));
            case DESIRED -> {
                int desired = AgentMessages.desiredVersion(json, from, end);
                if (desired == HttpExchange.ABSENT || desired == c.known) return;
                c.known = desired;
                if (!AgentMessages.carriesBundle(json, from, end, desired)) return; // too large to ride along: not what this benchmark releases
                c.pending = desired;
                applied.applied(c.agent, desired);
                reportOnChannel(c);
            }
            case OTHER -> { } // nothing an agent acts on
        }
    }

    /** The latest applied version reported on the channel (when it is open; else once it is open again). */
    private void reportOnChannel(PollerConn c) throws IOException {
        c.unanswered = true;
        if (!c.streaming || c.channel == null || !c.channel.isOpen()) return;
        // the report's JSON spelt into the scratch buffer after room for the frame's head, then masked where it is
        int at = AgentMessages.report(c.pending, scratch, WsFrames.MAX_HEAD);
        int n = at - WsFrames.MAX_HEAD;
        int start = WsFrames.MAX_HEAD - WsFrames.head(n);
        WsFrames.writeHead(WsFrames.TEXT, n, random.nextInt(), scratch, start);
        WsFrames.mask(scratch, WsFrames.MAX_HEAD, n, scratch, WsFrames.MAX_HEAD - 4);
        queue(c, scratch, start, at - start);
    }

    /** A client frame of {@code opcode} with the payload {@code payload[from, from + n)} (a pong's echo of its ping). */
    private void frame(PollerConn c, int opcode, byte[] payload, int from, int n) throws IOException {
        byte[] f = WsFrames.head(n) + n <= scratch.length ? scratch : new byte[WsFrames.head(n) + n];
        queue(c, f, 0, WsFrames.client(opcode, payload, from, n, random.nextInt(), f, 0));
    }

    /** A stream agent's report, on a connection of its own for the one exchange (in turn, {@link #MAX_REPORTING} at a time). */
    private void report(PollerConn stream, int version) {
        PollerConn r = stream.reporter;
        if (r == null) {
            r = new PollerConn(stream.agent, stream.host, URI.create("http://" + stream.authority), true);
            stream.reporter = r;
        }
        r.pending = version;
        if (r.step == PollerConn.Step.REPORT) return; // already under way: it sends the latest version when it goes out
        r.step = PollerConn.Step.REPORT;
        if (reporting < MAX_REPORTING) {
            reporting++;
            connect(r);
        } else {
            reportsWaiting.add(r);
        }
    }

    /** A report connection finished its exchange: the next waiting report takes its place. */
    private void reported() {
        PollerConn next = reportsWaiting.poll();
        if (next == null) reporting--;
        else connect(next);
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
