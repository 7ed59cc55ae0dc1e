package dev.rollguard.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.management.OperatingSystemMXBean;
import dev.rollguard.Json;
import dev.rollguard.Rollguard;
import dev.rollguard.agent.Watchdog;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.rollout.Rollout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The seed's outage against a simulated fleet: N hosts with real agents (in-process, over HTTP to a real
 * server on loopback), each under a steady request rate, receive the {@code .phpp} typo through a
 * break-glass release. Measures what reached users and how fast Rollguard reacted.
 */
public final class RolloutBenchmark {
    private RolloutBenchmark() {}


    /**
     * {@code requests}/{@code failed}: from the release until every host is back plus 1 s; {@code minuteRequests}/
     * {@code minuteFailed}: the first 60 s after the release, the window a person watching the rollout sees.
     */
    public record Result(int hosts, double rps, long requests, long failed, long minuteRequests, long minuteFailed,
                         Duration detect, Duration mitigate, int hostsThatServedBad, Duration releaseToRollback, Duration releaseToBack) {}

    /** Which of the agents' safeguards run (issue 16); OFF leaves only the server's canary analysis. */
    public enum Mode {
        PREFLIGHT("preflight + watchdog", true, Watchdog.Settings.DEFAULT),
        WATCHDOG("watchdog only", false, Watchdog.Settings.DEFAULT),
        OFF("both off (canary analysis)", false, null);

        public final String label;
        final boolean preflight;
        final Watchdog.Settings watchdog;

        Mode(String label, boolean preflight, Watchdog.Settings watchdog) {
            this.label = label;
            this.preflight = preflight;
            this.watchdog = watchdog;
        }
    }

    public static Result outage(int hosts, double rps, PrintWriter log) throws Exception {
        return outage(hosts, rps, Mode.OFF, log);
    }

    public static Result outage(int hosts, double rps, Mode mode, PrintWriter log) throws Exception {
        Path dir = Files.createTempDirectory("rollguard-bench-");
        try (Rollguard server = Rollguard.start(new Rollguard.Settings(dir.resolve("db").toString(), "127.0.0.1", 0, Limits.DEFAULT,
                64L << 20, Duration.ofMillis(100), null))) {
            Client c = new Client(server.url(), server.bootstrapToken());
            String agents = server.auth().enrol("wp", "production", null, null, 100_000, "bench").token();
            c.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}]}}");
            try (Fleet fleet = new Fleet(List.of(server.url()), "wp", "production", hosts, dir.resolve("fleet"),
                    Duration.ofMillis(250), false, agents, mode.preflight, mode.watchdog).start()) {
                waitFor(() -> c.json("GET", "/api/v1/services/wp/environments/production/hosts", null).size() == hosts, 60);
                Map<String, String> good = WordPressLikeTree.generate(400, 42);
                int v1 = c.json("POST", "/api/v1/services/wp/versions", Json.write(Map.of("files", good, "message", "good")))
                        .path("version").path("number").asInt();
                c.json("POST", "/api/v1/services/wp/environments/production/release", "{\"version\": " + v1 + ", \"breakGlass\": \"bench\"}");
                waitFor(() -> fleet.onVersion(v1) == hosts, 60);
                fleet.load(rps, false);
                Thread.sleep(2000);
                // production's real plan: 1 canary host, 10 %, 50 %, 100 %
                c.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"waves\": [{\"hosts\": 1, \"bakeSeconds\": 30}, "
                        + "{\"percent\": 10, \"bakeSeconds\": 30}, {\"percent\": 50, \"bakeSeconds\": 30}, {\"percent\": 100, \"bakeSeconds\": 30}]}}");
                int v2 = c.json("POST", "/api/v1/services/wp/versions", Json.write(Map.of("files", WordPressLikeTree.withTypo(good),
                        "message", "typo", "breakGlass", "bench"))).path("version").path("number").asInt();
                long sentBefore = fleet.loadGenerator().sent();
                long failedBefore = fleet.loadGenerator().failed();
                long releasedNanos = System.nanoTime();
                String id = c.json("POST", "/api/v1/services/wp/environments/production/release", "{\"version\": " + v2
                        + ", \"breakGlass\": \"bench\"}").path("id").asText();
                waitFor(() -> Rollout.State.valueOf(c.json("GET", "/api/v1/rollouts/" + id, null).path("state").asText()).terminal(), 120);
                JsonNode r = c.json("GET", "/api/v1/rollouts/" + id, null);
                Instant rolledBackAt = Instant.parse(r.path("updatedAt").asText());
                waitFor(() -> fleet.members().stream().noneMatch(m -> Integer.valueOf(v2).equals(m.agent().appliedVersion())), 60);
                Instant mitigatedAt = Instant.now();
                Duration releaseToBack = Duration.ofNanos(System.nanoTime() - releasedNanos);
                Instant releasedAt = Instant.parse(r.path("createdAt").asText());
                Thread.sleep(1000);
                long requests = fleet.loadGenerator().sent() - sentBefore;
                long failed = fleet.loadGenerator().failed() - failedBefore;
                Instant firstError = fleet.members().stream().map(m -> m.host().firstErrorAt(v2)).filter(Objects::nonNull)
                        .min(Instant::compareTo).orElse(rolledBackAt);
                int served = (int) fleet.members().stream().filter(m -> m.host().everServed(v2)).count();
                long remaining = 60_000 - (System.nanoTime() - releasedNanos) / 1_000_000;
                if (remaining > 0) Thread.sleep(remaining);
                long minuteRequests = fleet.loadGenerator().sent() - sentBefore;
                long minuteFailed = fleet.loadGenerator().failed() - failedBefore;
                log.printf("  rollout %s: %s (%s)%n", id, r.path("state").asText(), r.path("reason").asText());
                return new Result(hosts, rps, requests, failed, minuteRequests, minuteFailed, Duration.between(firstError, rolledBackAt),
                        Duration.between(firstError, mitigatedAt), served, Duration.between(releasedAt, rolledBackAt), releaseToBack);
            }
        } finally {
            TreeLoader.deleteRecursively(dir);
        }
    }

    /**
     * What one push measurement saw: latencies (sorted); the servers' CPU time from the release to the last agent's apply,
     * the pollers' threads' over the same release (-1: not measured) and their whole process's (-1: not measured, or the
     * pollers ran in the servers' process: its JIT compiler and collector threads are the servers' too), and the heap; the
     * heap each connected agent holds (bytes, after a full collection: with every agent connected, less before they
     * registered); {@code threads}: the servers' process's CPU nanoseconds per measured release by thread group
     * ({@link ThreadCpu}; empty when not measured); {@code releases}: how many were measured (CPU figures are per release,
     * the latencies every measured release's).
     */
    public record Push(List<Long> latencies, long cpuMillis, long pollersCpuMillis, long pollersProcessCpuMillis, long heapMiB,
                       long heapBytesPerAgent, Map<String, Long> threads, int releases) {
        public Push(List<Long> latencies, long cpuMillis, long pollersCpuMillis, long pollersProcessCpuMillis, long heapMiB, long heapBytesPerAgent) {
            this(latencies, cpuMillis, pollersCpuMillis, pollersProcessCpuMillis, heapMiB, heapBytesPerAgent, Map.of(), 1);
        }

        /** The agents that applied a measured release, per release. */
        public int applied() {
            return latencies.size() / releases;
        }
    }

    /**
     * Publish-to-apply latency for many agents: lightweight pollers (the agent protocol, one shared HTTP
     * client) long-poll the server; a release to 100 % in one wave is timed until each has fetched the
     * version's bundle.
     *
     * @param postgres null for one server on SQLite; else an admin URL of a PostgreSQL server, where a fresh database
     *                 is made for the run and {@code replicas} servers share it (agents spread over them)
     */
    public static Push push(int agents, String postgres, int replicas, boolean separateProcess, PrintWriter log) throws Exception {
        return push(agents, postgres, replicas, separateProcess, PollerSwarm.Transport.CHANNEL, Rounds.DEFAULT, log);
    }

    /**
     * As above; {@code transport}: how the pollers hear of releases and report ({@link PollerSwarm.Transport});
     * {@code rounds}: how many releases warm up, how many are measured.
     */
    public static Push push(int agents, String postgres, int replicas, boolean separateProcess, PollerSwarm.Transport transport,
                            Rounds rounds, PrintWriter log) throws Exception {
        Path dir = Files.createTempDirectory("rollguard-bench-");
        String db = dir.resolve("db").toString();
        String scratch = null;
        if (postgres != null) {
            scratch = "rg_bench_" + Long.toHexString(System.nanoTime());
            execute(postgres, "CREATE DATABASE " + scratch);
            URI u = URI.create(postgres);
            db = "postgresql://" + u.getUserInfo() + "@" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + "/" + scratch;
        }
        List<Rollguard> servers = new ArrayList<>();
        try {
            for (int i = 0; i < (postgres == null ? 1 : replicas); i++) {
                // the replicas share one key directory, the bench's own (never ./data of wherever it was started)
                servers.add(Rollguard.start(new Rollguard.Settings(db, "127.0.0.1", 0, Limits.DEFAULT, 64L << 20, Duration.ofMillis(100), null)
                        .withBootstrapToken("rg_bench-admin-token-000000000000000").withKeyDir(dir.resolve("keys"))));
            }
            Rollguard server = servers.get(0);
            Client c = new Client(server.url(), "rg_bench-admin-token-000000000000000");
            String enrolment = server.auth().enrol("wp", "production", null, null, 100_000, "bench").token();
            c.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}], "
                    + "\"heartbeatTimeoutSeconds\": 600}}");
            List<String> urls = servers.stream().map(Rollguard::url).toList();
            long heapBefore = usedHeapAfterGc();
            if (separateProcess) {
                // the pollers in a process of their own: their CPU and sockets are not the servers' (10,000 agents need
                // 10,000 sockets on each side, over one process's file limit)
                List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                        System.getProperty("java.class.path"), "dev.rollguard.cli.Main", "bench", "swarm", "--servers", String.join(",", urls),
                        "--agents", String.valueOf(agents), "--token", enrolment, "--transport", transport.label());
                Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                try (var in = new BufferedReader(new InputStreamReader(p.getInputStream()));
                     var to = new PrintWriter(p.getOutputStream(), true)) {
                    String line;
                    while ((line = in.readLine()) != null && !line.equals("READY")) log.println("  swarm: " + line);
                    if (line == null) throw new IllegalStateException("the swarm process ended before its agents registered");
                    return releases(server, c, agents, rounds, heapBefore, log, new Release() {
                        @Override
                        public void expect(int version) {
                            to.println("GO " + System.currentTimeMillis() + " " + version);
                        }

                        @Override
                        public Heard heard() throws IOException {
                            List<Long> latencies = new ArrayList<>();
                            long[] pollersCpu = {-1, -1};
                            String said;
                            while ((said = in.readLine()) != null) {
                                if (said.startsWith("POLLERS-CPU ")) {
                                    String[] ms = said.substring(12).trim().split(" ");
                                    pollersCpu[0] = Long.parseLong(ms[0]);
                                    pollersCpu[1] = Long.parseLong(ms[1]);
                                }
                                if (said.startsWith("LATENCIES ")) {
                                    for (String x : said.substring(10).split(",")) if (!x.isBlank()) latencies.add(Long.parseLong(x));
                                    break;
                                }
                            }
                            return new Heard(latencies, pollersCpu[0], pollersCpu[1]);
                        }
                    });
                } finally {
                    p.destroy();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            }
            try (PollerSwarm swarm = new PollerSwarm(urls, "wp", "production", agents, enrolment, transport)) {
                swarm.registerAll();
                long[] pollersCpu0 = new long[1];
                Push p = releases(server, c, agents, rounds, heapBefore, log, new Release() {
                    @Override
                    public void expect(int version) {
                        pollersCpu0[0] = swarm.cpuNanos();
                        swarm.expect(version, System.nanoTime());
                    }

                    @Override
                    public Heard heard() throws InterruptedException {
                        List<Long> latencies = swarm.await(Duration.ofSeconds(120));
                        return new Heard(latencies, (swarm.cpuNanos() - pollersCpu0[0]) / 1_000_000, -1);
                    }
                });
                // the pollers' thread ran in this process: its CPU is not the servers'
                Map<String, Long> serversThreads = new LinkedHashMap<>(p.threads());
                serversThreads.remove(ThreadCpu.group(NioPollers.THREAD));
                return new Push(p.latencies(), p.cpuMillis() - p.pollersCpuMillis(), p.pollersCpuMillis(), -1, p.heapMiB(), p.heapBytesPerAgent(),
                        serversThreads, p.releases());
            }
        } finally {
            for (Rollguard s : servers) s.close();
            TreeLoader.deleteRecursively(dir);
            if (scratch != null) execute(postgres, "DROP DATABASE IF EXISTS " + scratch + " WITH (FORCE)");
        }
    }

    /**
     * The other end of a separate-process push measurement: registers the pollers, then for each line
     * "GO epochMillis version" waits for every poller to apply that version and prints its CPU and the latencies.
     */
    public static int swarm(List<String> servers, int agents, String token, PollerSwarm.Transport transport, PrintWriter out) throws Exception {
        try (PollerSwarm swarm = new PollerSwarm(servers, "wp", "production", agents, token, transport);
             var in = new BufferedReader(new InputStreamReader(System.in))) {
            swarm.registerAll();
            out.println("READY");
            out.flush();
            var os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            String go;
            while ((go = in.readLine()) != null) {
                String[] words = go.trim().split(" ");
                if (words.length != 3 || !words[0].equals("GO")) return 2;
                long t0Epoch = Long.parseLong(words[1]);
                long cpu0 = os.getProcessCpuTime();
                long threads0 = swarm.cpuNanos();
                swarm.expect(Integer.parseInt(words[2]), System.nanoTime() - (System.currentTimeMillis() - t0Epoch) * 1_000_000L);
                List<Long> latencies = swarm.await(Duration.ofSeconds(120));
                // the pollers' threads' CPU, and the whole process's (with the JIT compiler's and the collector's threads)
                out.println("POLLERS-CPU " + (swarm.cpuNanos() - threads0) / 1_000_000 + " " + (os.getProcessCpuTime() - cpu0) / 1_000_000);
                out.println("LATENCIES " + String.join(",", latencies.stream().map(String::valueOf).toList()));
                out.flush();
            }
            return 0;
        }
    }

    /** The pollers' side of one release of a push measurement. */
    private interface Release {
        /** The pollers are told: {@code version} comes now (their latencies count from here, before it is published). */
        void expect(int version) throws Exception;

        /** What the pollers saw of the release, once every one applied (or the wait ran out). */
        Heard heard() throws Exception;
    }

    /**
     * One release as the pollers saw it: each agent's publish-to-applied latency, the pollers' threads' CPU milliseconds
     * and their whole process's (-1: not measured).
     */
    private record Heard(List<Long> latencies, long pollersCpuMillis, long pollersProcessCpuMillis) {}

    /**
     * How many releases a push measurement makes: {@code warmUps} first, then {@code measured}, whose figures are pooled
     * (latencies) and averaged (CPU): one release's CPU moved by a third from release to release, as a young collection
     * fell inside its window or did not.
     */
    public record Rounds(int warmUps, int measured) {
        /**
         * Ten warm-ups: with three, the JIT compiler still took a quarter of the measured release's CPU (270 of 1,020 ms at
         * 10,000 agents; the release's own code runs about a second per release); by the tenth it had mostly settled.
         */
        public static final Rounds DEFAULT = new Rounds(10, 5);

        public Rounds {
            if (warmUps < 0 || measured < 1) throw new IllegalArgumentException("warm-ups >= 0 and measured releases >= 1, not " + warmUps + " and " + measured);
        }
    }

    /**
     * The push measurement's releases, one after another from a quiet fleet; the measured ones' figures are the result:
     * their latencies pooled, their CPU (the servers' process's, by thread, and the pollers') averaged per release. The
     * servers' CPU is counted from the release to the last agent's apply: the version's upload before it is a push, not a
     * delivery to agents.
     */
    private static Push releases(Rollguard server, Client c, int agents, Rounds rounds, long heapBefore, PrintWriter log, Release release)
            throws Exception {
        var os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        ThreadMXBean driver = ManagementFactory.getThreadMXBean();
        long perAgent = 0;
        List<Long> latencies = new ArrayList<>();
        long cpu = 0;
        long pollersCpu = 0;
        long pollersProcessCpu = 0;
        Map<String, Long> threads = new HashMap<>();
        int total = rounds.warmUps() + rounds.measured();
        for (int round = 1; round <= total; round++) {
            awaitQuiet(server, agents);
            if (round == 1) perAgent = Math.max(0, usedHeapAfterGc() - heapBefore) / agents;
            int expected = c.json("GET", "/api/v1/services/wp/versions?limit=1", null).path(0).path("number").asInt() + 1;
            release.expect(expected);
            int version = c.json("POST", "/api/v1/services/wp/versions", Json.write(Map.of("files", bundleFiles(round), "message", "round " + round)))
                    .path("version").path("number").asInt();
            if (version != expected) throw new IllegalStateException("unexpected version number " + version + ", not " + expected);
            // read outside the CPU window (a reading visits every thread), and this thread's own CPU (the bench's driver:
            // it posts the release and reads the pollers' latencies) is taken out: it is not the servers'
            Map<String, Long> threads0 = ThreadCpu.now();
            long driver0 = driver.getCurrentThreadCpuTime();
            long cpu0 = os.getProcessCpuTime();
            c.json("POST", "/api/v1/services/wp/environments/production/release", "{\"version\": " + version + ", \"breakGlass\": \"bench\"}");
            Heard heard = release.heard();
            long spent = (os.getProcessCpuTime() - cpu0 - (driver.getCurrentThreadCpuTime() - driver0)) / 1_000_000;
            Map<String, Long> spentBy = ThreadCpu.since(threads0, ThreadCpu.now());
            spentBy.remove(ThreadCpu.group(Thread.currentThread().getName()));
            boolean measured = round > rounds.warmUps();
            log.printf("  %s: %d of %d agents applied v%d, %d ms of the servers' CPU%n", measured ? "measured" : "warm-up", heard.latencies().size(),
                    agents, version, spent);
            if (!measured) continue;
            latencies.addAll(heard.latencies());
            cpu += spent;
            pollersCpu += heard.pollersCpuMillis();
            pollersProcessCpu += heard.pollersProcessCpuMillis();
            spentBy.forEach((group, nanos) -> threads.merge(group, nanos, Long::sum));
        }
        Collections.sort(latencies);
        int n = rounds.measured();
        Map<String, Long> perRelease = new LinkedHashMap<>();
        threads.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> perRelease.put(e.getKey(), e.getValue() / n));
        return new Push(latencies, cpu / n, pollersCpu < 0 ? -1 : pollersCpu / n, pollersProcessCpu < 0 ? -1 : pollersProcessCpu / n,
                usedHeap() >> 20, perAgent, perRelease, n);
    }

    /** The heap in use after a full collection (a hint the JVM follows with its default collector). */
    private static long usedHeapAfterGc() {
        System.gc();
        return usedHeap();
    }

    /**
     * The heap in use, read in one call: total less free read one after the other went negative in a run where the heap
     * grew between the two reads (the PostgreSQL row printed -252 MiB).
     */
    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Waits until no rollout runs and every agent is registered, so a release starts from a quiet fleet. */
    private static void awaitQuiet(Rollguard server, int agents) throws InterruptedException {
        waitFor(() -> server.rollouts().active().isEmpty()
                && server.rollouts().hosts("wp", "production").size() >= agents, 120);
        Thread.sleep(1500);
    }

    /** A small site's configuration (a virtual host, the PHP application's settings, rewrite rules): 2,146 bytes. */
    static Map<String, String> bundleFiles(int round) {
        StringBuilder vhost = new StringBuilder("<VirtualHost *:80>\n    ServerName www.example.org\n    DocumentRoot /var/www/html\n");
        for (int i = 0; i < 20; i++) vhost.append("    Alias /static").append(i).append(" /var/www/static/").append(i).append("\n");
        vhost.append("</VirtualHost>\n");
        StringBuilder settings = new StringBuilder("<?php\n// release round ").append(round).append("\n");
        for (int i = 0; i < 30; i++) settings.append("define( 'SETTING_").append(i).append("', 'value-").append(i).append("' );\n");
        settings.append("require ABSPATH . WPINC . '/version.php';\n");
        String htaccess = "RewriteEngine On\nRewriteBase /\nRewriteRule ^index\\.php$ - [L]\nRewriteCond %{REQUEST_FILENAME} !-f\n"
                + "RewriteCond %{REQUEST_FILENAME} !-d\nRewriteRule . /index.php [L]\n";
        return Map.of("sites-enabled/site.conf", vhost.toString(), "wp-settings.php", settings.toString(), ".htaccess", htaccess);
    }

    private static void execute(String adminUrl, String sql) throws Exception {
        URI u = URI.create(adminUrl);
        String[] user = u.getUserInfo() == null ? new String[]{null} : u.getUserInfo().split(":", 2);
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + ":"
                + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getPath(), user[0], user.length > 1 ? user[1] : null)) {
            c.createStatement().execute(sql);
        }
    }

    private static void waitFor(BooleanSupplier condition, int seconds) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) throw new IllegalStateException("benchmark step did not finish within " + seconds + " s");
            Thread.sleep(50);
        }
    }

    static final class Client {
        private final String base;
        private final String token;
        private final HttpClient http = HttpClient.newHttpClient();

        Client(String base, String token) {
            this.base = base;
            this.token = token;
        }

        String send(String method, String path, String body) {
            try {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                        .header("Authorization", "Bearer " + token)
                        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() >= 400) throw new IllegalStateException(method + " " + path + ": " + r.body());
                return r.body();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        JsonNode json(String method, String path, String body) {
            return Json.read(send(method, path, body), JsonNode.class);
        }
    }

    static List<Long> newList() {
        return Collections.synchronizedList(new ArrayList<>());
    }
}
