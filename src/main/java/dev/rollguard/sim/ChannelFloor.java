package dev.rollguard.sim;

import com.sun.management.OperatingSystemMXBean;
import dev.rollguard.Json;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.WireEntry;
import dev.rollguard.web.PreparedText;
import io.javalin.Javalin;
import org.eclipse.jetty.websocket.api.Session;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The floor under the channel's cost ({@code bench push --floor}): the same pollers, connections and frames as
 * {@code bench push --separate} (a release frame of the same answer, a report frame, its answer frame), served by Jetty's
 * WebSocket through Javalin with no Rollguard logic at all: registration answers at once, a release is one text frame
 * encoded once ({@link PreparedText}: UTF-8 in a direct buffer, no encoding or copy per connection) and written to every
 * open connection from as many threads as the real path wakes its waits on ({@code HostSignals}' responders, in the same
 * slices), and a report is answered on the thread that read it with a frame prepared once per version (no queue, no
 * hand-off, no allocation but the frame's view). Everything the real path does to push and to answer, this does at most
 * as much of: what it costs per agent is what the real path cannot go below on this server stack. The pollers' process
 * and the releases ({@link #drive}) are shared with {@link SocketFloor}, the floor under this one: the same bytes from
 * plain {@code java.nio}, no web server.
 */
public final class ChannelFloor {
    private static final int RELEASES = 4;
    /** How long after its GO line the pollers' process is surely expecting the version. */
    private static final long SWARM_READY_MILLIS = 300;
    /** As many writers as the real path's long-poll responders ({@code HostSignals}), in slices of at least this many. */
    private static final int WRITERS = 4;
    private static final int MIN_SLICE = 64;

    private ChannelFloor() {}

    /**
     * A floor's server under the pollers ({@link SocketFloor}, and Jetty's here): where the pollers connect, how many
     * channels are open, a release prepared (outside the CPU measured) and then sent to every open channel, and why
     * channels closed (for the log).
     */
    interface Server extends AutoCloseable {
        String url();

        int connected();

        /** Version {@code version}'s release frame ({@code release}) and a report's answer ({@code answer}), made ready to send. */
        void prepare(int version, String release, String answer) throws Exception;

        /** Sends the prepared release to every open channel; a report from now on is answered with the prepared answer. */
        void release();

        Map<String, Integer> closed();
    }

    /** The Jetty floor's figures: as {@link RolloutBenchmark.Push} (the last release's), with the pollers in their own process. */
    public static RolloutBenchmark.Push run(int agents, PrintWriter log) throws Exception {
        try (JettyFloor floor = new JettyFloor()) {
            return drive(floor, agents, log);
        }
    }

    /** Jetty's WebSocket through Javalin, with no Rollguard logic. */
    private static final class JettyFloor implements Server {
        private final Set<Session> channels = ConcurrentHashMap.newKeySet();
        private final Map<String, Integer> closed = new ConcurrentHashMap<>();
        // the release frame, as the real path's answer (DesiredAnswers): serialized once, and here encoded once too
        private final Releases releases = new Releases();
        private final ExecutorService writers = writers();
        private final Javalin app;

        JettyFloor() {
            app = Javalin.create(c -> {
                c.showJavalinBanner = false;
                c.useVirtualThreads = false;
                // as the real server's (ApiServer): no idle channel closed during the run, no permessage-deflate
                c.jetty.modifyWebSocketServletFactory(f -> {
                    f.setIdleTimeout(Duration.ofMinutes(10));
                    f.getAvailableExtensionNames().remove("permessage-deflate");
                });
            });
            app.post(AgentProtocol.REGISTER_PATH, ctx -> {
                AgentProtocol.Register r = Json.read(ctx.body(), AgentProtocol.Register.class);
                ctx.contentType("application/json").result(Json.write(new AgentProtocol.Registered(r.host(), null, 500L)));
            });
            app.ws(AgentProtocol.CHANNEL_ROUTE, ws -> {
                ws.onConnect(ctx -> {
                    channels.add(ctx.session);
                    // a poller that connects again behind the release hears it at once, as from the real server
                    PreparedText f = releases.behind(ctx.queryParam("known"));
                    if (f != null) f.send(ctx.session);
                });
                ws.onClose(ctx -> {
                    channels.remove(ctx.session);
                    closed.merge(ctx.status() + " " + ctx.reason(), 1, Integer::sum);
                });
                ws.onError(ctx -> closed.merge("error " + ctx.error(), 1, Integer::sum));
                ws.onMessage(ctx -> releases.answer().send(ctx.session));
            });
            app.start("127.0.0.1", 0);
        }

        @Override
        public String url() {
            return "http://127.0.0.1:" + app.port();
        }

        @Override
        public int connected() {
            return channels.size();
        }

        @Override
        public Map<String, Integer> closed() {
            return closed;
        }

        @Override
        public void prepare(int v, String release, String reportAnswer) {
            releases.prepare(v, release, reportAnswer);
        }

        @Override
        public void release() {
            PreparedText f = releases.publish();
            inSlices(writers, channels, f::send);
        }

        @Override
        public void close() {
            app.stop();
            writers.shutdownNow();
        }
    }

    /**
     * A floor's release, prepared (outside the CPU measured) and then made current: its frame, a report's answer (prepared
     * once per version, where the real path spells it per report) and its version.
     */
    static final class Releases {
        private final AtomicReference<PreparedText> frame = new AtomicReference<>();
        private final AtomicReference<PreparedText> answer = new AtomicReference<>(new PreparedText(reported(0)));
        private final AtomicInteger version = new AtomicInteger();
        private PreparedText nextFrame;
        private PreparedText nextAnswer;
        private int nextVersion;

        void prepare(int v, String release, String reportAnswer) {
            nextVersion = v;
            nextFrame = new PreparedText(release);
            nextAnswer = new PreparedText(reportAnswer);
        }

        /** The prepared release is the current one from now on; answers its frame, to send. */
        PreparedText publish() {
            PreparedText f = nextFrame;
            answer.set(nextAnswer);
            frame.set(f);
            version.set(nextVersion);
            return f;
        }

        /** The current release's frame for a poller that connects knowing {@code known}, when it is behind (else null). */
        PreparedText behind(String known) {
            PreparedText f = frame.get();
            return f != null && !String.valueOf(version.get()).equals(known) ? f : null;
        }

        PreparedText answer() {
            return answer.get();
        }
    }

    /** The writers of a floor's release: as many threads as the real path's long-poll responders. */
    static ExecutorService writers() {
        return Executors.newFixedThreadPool(WRITERS, r -> {
            Thread t = new Thread(r, "floor-writer");
            t.setDaemon(true);
            return t;
        });
    }

    /** Sends the release to every open channel from the writers, in the slices the real path's responders take. */
    static <C> void inSlices(ExecutorService writers, Collection<C> channels, Consumer<C> send) {
        List<C> all = List.copyOf(channels);
        int slice = Math.max(MIN_SLICE, all.size() / WRITERS);
        for (int i = 0; i < all.size(); i += slice) {
            List<C> part = all.subList(i, Math.min(all.size(), i + slice));
            writers.execute(() -> part.forEach(send));
        }
    }

    /**
     * Starts the pollers against {@code server} in a process of their own, waits for every channel, then makes
     * {@link #RELEASES} releases (the first ones warm up) and answers the last one's figures.
     */
    static RolloutBenchmark.Push drive(Server server, int agents, PrintWriter log) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "dev.rollguard.cli.Main", "bench", "swarm", "--servers", server.url(),
                "--agents", String.valueOf(agents), "--token", "floor", "--transport", PollerSwarm.Transport.CHANNEL.label());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        var os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (var in = new BufferedReader(new InputStreamReader(p.getInputStream()));
             var to = new PrintWriter(p.getOutputStream(), true)) {
            String line;
            while ((line = in.readLine()) != null && !line.equals("READY")) log.println("  swarm: " + line);
            if (line == null) throw new IllegalStateException("the swarm process ended before its agents registered");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (server.connected() < agents && System.nanoTime() < deadline) Thread.sleep(50);
            RolloutBenchmark.Push result = null;
            long heapPerAgent = 0;
            for (int round = 1; round <= RELEASES; round++) {
                Thread.sleep(1500);
                if (round == 1) {
                    System.gc();
                    heapPerAgent = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / Math.max(1, agents);
                }
                int v = round;
                server.prepare(v, "{\"desired\":" + Json.write(new AgentProtocol.Desired(v, bundle(v))) + "}", reported(v));
                long cpu0 = os.getProcessCpuTime();
                // the pollers must expect the version before its frames reach them (the real server's push and release
                // take longer than that): the release is sent a moment after the GO, timed from the sending
                long sendAt = System.currentTimeMillis() + SWARM_READY_MILLIS;
                to.println("GO " + sendAt + " " + v);
                Thread.sleep(Math.max(0, sendAt - System.currentTimeMillis()));
                server.release();
                List<Long> latencies = new ArrayList<>();
                long pollersCpu = -1;
                long pollersProcessCpu = -1;
                String said;
                while ((said = in.readLine()) != null) {
                    if (said.startsWith("POLLERS-CPU ")) {
                        // the pollers' threads' CPU, then their whole process's
                        String[] ms = said.substring(12).trim().split(" ");
                        pollersCpu = Long.parseLong(ms[0]);
                        pollersProcessCpu = ms.length > 1 ? Long.parseLong(ms[1]) : -1;
                    }
                    if (said.startsWith("LATENCIES ")) {
                        for (String x : said.substring(10).split(",")) if (!x.isBlank()) latencies.add(Long.parseLong(x));
                        break;
                    }
                }
                long cpu = (os.getProcessCpuTime() - cpu0) / 1_000_000;
                latencies.sort(null);
                Map<String, Integer> closed = server.closed();
                log.printf("  %s: %d of %d agents applied v%d%s%n", round < RELEASES ? "warm-up" : "measured", latencies.size(), agents, v,
                        closed.isEmpty() ? "" : " (channels closed so far: " + closed + ")");
                result = new RolloutBenchmark.Push(latencies, cpu, pollersCpu, pollersProcessCpu, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20,
                        heapPerAgent);
            }
            return result;
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** A report's answer, as the real path spells it ({@code AgentChannel}). */
    static String reported(int version) {
        return "{\"reported\":{\"desiredVersion\":" + version + "}}";
    }

    /** The bench's release as a bundle inline: the same files, so the frame is as large as the real path's. */
    private static AgentProtocol.Bundle bundle(int round) throws Exception {
        List<WireEntry> entries = new ArrayList<>();
        MessageDigest tree = MessageDigest.getInstance("SHA-256");
        for (var f : new TreeMap<>(RolloutBenchmark.bundleFiles(round)).entrySet()) {
            byte[] bytes = f.getValue().getBytes(StandardCharsets.UTF_8);
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            tree.update(hash.getBytes(StandardCharsets.UTF_8));
            entries.add(new WireEntry(f.getKey(), hash, (long) bytes.length, Base64.getEncoder().encodeToString(bytes), null));
        }
        return new AgentProtocol.Bundle("wp", round, null, null, HexFormat.of().formatHex(tree.digest()), entries);
    }
}
