package dev.rollguard.sim;

import dev.rollguard.protocol.AgentProtocol;

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

    /** A conversation's step; STREAM: the agent's stream is open and events arrive on it, IDLE: a report connection at rest. */
    private enum Step { POLL, BUNDLE, REPORT, STREAM, IDLE }

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

    private record Timer(long at, Conn conn) {}

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
    /**
     * Stream agents' reports open a connection each and close it after the answer: with the streams' own connections, one
     * kept per agent would need two sockets per agent in each process (10,000 agents: over this machine's 20,000 open
     * files). At most this many are open at once; the others wait their turn.
     */
    private static final int MAX_REPORTING = 2000;
    private final ArrayDeque<Conn> reportsWaiting = new ArrayDeque<>();
    private int reporting;
    private volatile boolean running = true;

    /** {@code stream}: the agents follow the server's stream (and report on a second connection) instead of long-polling. */
    NioPollers(String service, String env, String token, boolean stream, Applied applied) throws IOException {
        this.stream = stream;
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
                    connect(t.conn);
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
            send(c, c.step == null ? (stream ? Step.STREAM : Step.POLL) : c.step);
        } catch (IOException e) {
            retry(c);
        }
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
        if (running) timers.add(new Timer(System.nanoTime() + 500_000_000L, c));
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
            case IDLE -> throw new IllegalStateException("nothing to send at rest");
            case REPORT -> {
                String body = "{\"appliedVersion\":" + c.pending + ",\"failedVersion\":null,\"applyError\":null,\"samples\":[]}";
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

    private void read(Conn c) throws IOException {
        if (c.inEnd == c.in.length) c.in = Arrays.copyOf(c.in, c.in.length * 2);
        int n = c.channel.read(ByteBuffer.wrap(c.in, c.inEnd, c.in.length - c.inEnd));
        if (n < 0) throw new IOException("the server closed the connection");
        c.inEnd += n;
        if (c.step == Step.STREAM) {
            readStream(c);
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
            case STREAM, IDLE -> throw new IllegalStateException("a stream's answer is read as events");
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
