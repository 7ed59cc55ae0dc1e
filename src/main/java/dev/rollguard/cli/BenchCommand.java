package dev.rollguard.cli;

import dev.rollguard.config.AnalysisSettings;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.demo.PreflightBenchmark;
import dev.rollguard.sim.ChannelFloor;
import dev.rollguard.sim.JudgementBenchmark;
import dev.rollguard.sim.JudgementTraces;
import dev.rollguard.sim.NettyFloor;
import dev.rollguard.sim.PollerSwarm;
import dev.rollguard.sim.PushSimulation;
import dev.rollguard.sim.RolloutBenchmark;
import dev.rollguard.sim.SocketFloor;
import dev.rollguard.sim.WordPressLikeTree;
import dev.rollguard.validate.PhpLintBenchmark;
import dev.rollguard.validate.Validation;
import dev.rollguard.validate.ValidationReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bench", description = "Benchmarks; prints a table. Suites: validate, rollout, push, phplint, judgement, accuracy, startup, preflight")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", completionCandidates = Suites.class, description = "Suite: ${COMPLETION-CANDIDATES}")
    String suite;

    /** The suites a person runs (the hidden "swarm" is the pollers' process of {@code push --separate}). */
    static final class Suites implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("validate", "rollout", "push", "phplint", "judgement", "accuracy", "startup", "preflight").iterator();
        }
    }

    @Option(names = "--files", split = ",", defaultValue = "1000,10000", description = "Tree sizes (default ${DEFAULT-VALUE})")
    List<Integer> sizes;

    @Option(names = "--runs", description = "validate: measured runs per size after 2 warm-up runs (default 5); "
            + "judgement: releases per scenario (default 200); startup: rounds after 2 warm-up rounds (default 10); preflight: changes per kind (default 10)")
    Integer runs;

    @Option(names = "--seed", description = "judgement: seed of the synthetic releases (default: seeds 1, 2 and 3, each reported); "
            + "accuracy, preflight: mutation seed (default 1)")
    Long seed;

    @Option(names = "--canaries", defaultValue = "1", description = "judgement: canary hosts of the ten (default ${DEFAULT-VALUE}; "
            + "2: what a first wave of two canaries, spec rollout.canary.hosts, buys)")
    int canaries;

    @Option(names = "--hosts", description = "rollout: simulated hosts (default 100); push --simulate: hosts (default 100000)")
    Integer hosts;

    @Option(names = "--simulate", description = "push: replay measured per-host costs for --hosts over each --replicas count, print the expected p99")
    boolean simulate;

    @Option(names = "--host-cost-us", defaultValue = "50", description = "push --simulate: a replica's CPU per host per release, "
            + "answer and report (µs; default ${DEFAULT-VALUE}, measured: see docs/benchmarks.md)")
    double hostCostMicros;

    @Option(names = "--cores", defaultValue = "2", description = "push --simulate: cores per replica (default ${DEFAULT-VALUE})")
    int cores;

    @Option(names = "--heap-per-host-kib", defaultValue = "7", description = "push --simulate: heap per connected host (KiB; "
            + "default ${DEFAULT-VALUE}, measured: see docs/benchmarks.md)")
    double heapPerHostKiB;

    @Option(names = "--rps", defaultValue = "100", description = "rollout: requests per second per host (default ${DEFAULT-VALUE})")
    double rps;

    @Option(names = "--modes", split = ",", defaultValue = "PREFLIGHT,WATCHDOG,OFF",
            description = "rollout: the agents' safeguards, one run each: PREFLIGHT (+ watchdog), WATCHDOG (only), OFF (default ${DEFAULT-VALUE})")
    List<RolloutBenchmark.Mode> modes;

    @Option(names = "--agents", split = ",", defaultValue = "1000,10000", description = "push: agent counts (default ${DEFAULT-VALUE})")
    List<Integer> agents;

    @Option(names = "--postgres", description = "push: also measure on this PostgreSQL (an admin URL; a scratch database is made per run)",
            defaultValue = "${env:ROLLGUARD_TEST_POSTGRES}")
    String postgres;

    @Option(names = "--replicas", split = ",", defaultValue = "1,2", description = "push: server counts on PostgreSQL; push --simulate: replica counts (default ${DEFAULT-VALUE})")
    List<Integer> replicas;

    @Option(names = "--transport", defaultValue = "channel", description = "push: how the pollers hear of releases and report, as agents do: "
            + "channel (a WebSocket: releases and reports on one connection, the agent's default), stream (server-sent events, reports by POST) "
            + "or long-poll (older agents; default ${DEFAULT-VALUE})")
    String transport;

    @Option(names = "--stream", description = "push: the same as --transport stream")
    boolean stream;

    @Option(names = "--releases", description = "push: measured releases, their latencies pooled and their CPU averaged (default "
            + "5)")
    Integer releases;

    @Option(names = "--warm-ups", description = "push: releases before the measured ones, to warm the server up: JIT, pools, heap (default "
            + "10)")
    Integer warmUps;

    @Option(names = "--separate", description = "push: run the pollers in a process of their own (needed for 10,000 agents)")
    boolean separate;

    @Option(names = "--floor", description = "push: the floors under the channel: the same pollers and frames served by plain java.nio "
            + "(socket) and by Netty's and Jetty's WebSocket with no Rollguard logic (netty, jetty), pollers in their own process, beside the real channel, and the ratios")
    boolean floor;

    @Option(names = "--per-kind", defaultValue = "30", description = "accuracy: mutants per kind and split (default ${DEFAULT-VALUE})")
    int perKind;

    @Option(names = "--split", defaultValue = "all", description = "accuracy: tune | held-out | all (default ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--corpus", defaultValue = "all", description = "accuracy: php (applications and web servers) | daemons | all "
            + "(default ${DEFAULT-VALUE})")
    String corpus;

    @Option(names = "--missed", description = "accuracy: list the mutants the validators missed and the false errors")
    boolean missed;

    @Option(names = "--dir", description = "phplint: the tree (default $ROLLGUARD_WORDPRESS_DIR, Debian's WordPress)")
    Path dir;

    @Option(names = "--servers", split = ",", hidden = true)
    List<String> servers;

    @Option(names = "--token", hidden = true)
    String token;


    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        switch (suite) {
            case "validate" -> { }
            case "rollout" -> {
                return rollout(out);
            }
            case "push" -> {
                return simulate ? simulatePush(out) : floor ? floor(out) : push(out);
            }
            case "accuracy" -> {
                return AccuracyBench.run(seed == null ? 1 : seed, perKind, split, missed, corpus, out);
            }
            case "judgement" -> {
                int n = runs == null ? 200 : runs;
                if (n < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--runs must be >= 1");
                if (canaries < 1 || canaries > JudgementTraces.HOSTS - 2) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--canaries must be 1 to " + (JudgementTraces.HOSTS - 2));
                }
                List<JudgementBenchmark.SeedRun> seeds = JudgementBenchmark.run(seed == null ? JudgementBenchmark.SEEDS : List.of(seed), n,
                        canaries, AnalysisSettings.DEFAULT);
                JudgementBenchmark.print(seeds, n, out);
                return 0;
            }
            case "preflight" -> {
                int n = runs == null ? 10 : runs;
                if (n < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--runs must be >= 1");
                return PreflightBenchmark.run(n, seed == null ? 1 : seed, out);
            }
            case "phplint" -> {
                return PhpLintBenchmark.run(dir != null ? dir : Path.of(System.getenv().getOrDefault("ROLLGUARD_WORDPRESS_DIR",
                        System.getProperty("user.home") + "/.cache/rollguard/wordpress")), out);
            }
            case "startup" -> {
                int n = runs == null ? 10 : runs;
                if (n < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--runs must be >= 1");
                return StartupBench.run(n, out);
            }
            case "swarm" -> {
                return RolloutBenchmark.swarm(servers, agents.get(0), token, transport(), out);
            }
            default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "unknown suite '" + suite + "' (known: validate, rollout, push, phplint, judgement, accuracy, startup, preflight)");
        }
        out.println("validation of a generated WordPress-like tree with one '.phpp' typo (built-in validators; "
                + Runtime.getRuntime().availableProcessors() + " cores)");
        out.printf("%8s %10s %9s %9s %9s %9s%n", "files", "MiB", "min ms", "median", "max ms", "findings");
        Validation validation = Validation.builtIn();
        for (int size : sizes) {
            Map<String, String> files = WordPressLikeTree.withTypo(WordPressLikeTree.generate(size, 42));
            ConfigTree tree = ConfigTree.of(files, new Limits(Long.MAX_VALUE / 4, Integer.MAX_VALUE, Long.MAX_VALUE / 4));
            List<Long> times = new ArrayList<>();
            ValidationReport last = null;
            for (int i = 0; i < (runs == null ? 5 : runs) + 2; i++) {
                long t = System.nanoTime();
                last = validation.run(tree, null, null);
                if (i >= 2) times.add((System.nanoTime() - t) / 1_000_000);
            }
            Collections.sort(times);
            out.printf("%8d %10.1f %9d %9d %9d %9d%n", tree.size(), tree.totalBytes() / 1048576.0, times.get(0),
                    times.get(times.size() / 2), times.get(times.size() - 1), last.findings().size());
        }
        out.flush();
        return 0;
    }

    private int rollout(PrintWriter out) throws Exception {
        int hosts = this.hosts == null ? 100 : this.hosts;
        out.println("the seed's typo released with break-glass to " + hosts + " simulated hosts at " + rps
                + " req/s each (waves 1 host / 10% / 50% / 100%, real agents and server on loopback)");
        Map<RolloutBenchmark.Mode, RolloutBenchmark.Result> results = new LinkedHashMap<>();
        for (var mode : modes) {
            out.println();
            out.println("mode: " + mode.label);
            var r = RolloutBenchmark.outage(hosts, rps, mode, out);
            results.put(mode, r);
            out.printf("%-52s %12s%n", "metric", "value");
            out.printf("%-52s %12d%n", "requests, release -> all hosts back + 1 s", r.requests());
            out.printf("%-52s %12d%n", "  failed", r.failed());
            out.printf("%-52s %11.4f%%%n", "  failed / all", 100.0 * r.failed() / Math.max(1, r.requests()));
            out.printf("%-52s %12d%n", "requests, first minute after the release", r.minuteRequests());
            out.printf("%-52s %12d%n", "  failed", r.minuteFailed());
            out.printf("%-52s %11.4f%%%n", "  failed / all (target < 0.1%)", 100.0 * r.minuteFailed() / Math.max(1, r.minuteRequests()));
            out.printf("%-52s %12d%n", "hosts that ever served the bad version", r.hostsThatServedBad());
            out.printf("%-52s %9d ms%n", "first 5xx -> automatic rollback (target < 3 s)", r.detect().toMillis());
            out.printf("%-52s %9d ms%n", "first 5xx -> all hosts back (target < 5 s)", r.mitigate().toMillis());
            out.flush();
        }
        out.println();
        out.printf("%-28s %8s %10s %14s %14s %14s %12s%n", "mode", "failed", "of traffic", "detect", "all back", "release->rb", "served bad");
        results.forEach((mode, r) -> out.printf("%-28s %8d %9.4f%% %11d ms %11d ms %11d ms %12d%n", mode.label, r.failed(),
                100.0 * r.failed() / Math.max(1, r.requests()), r.failed() == 0 ? r.releaseToRollback().toMillis() : r.detect().toMillis(),
                r.failed() == 0 ? 0 : r.mitigate().toMillis(), r.releaseToRollback().toMillis(), r.hostsThatServedBad()));
        out.println("detect: first 5xx -> the server's rollback (no 5xx: release -> rollback); all back: first 5xx -> no host on the"
                + " bad version (no 5xx: 0, it was never live); of traffic: release -> all back + 1 s");
        out.flush();
        return 0;
    }

    private int simulatePush(PrintWriter out) {
        int n = hosts == null ? 100_000 : hosts;
        if (n < 1 || cores < 1 || hostCostMicros <= 0 || heapPerHostKiB < 0 || replicas.stream().anyMatch(r -> r < 1)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--hosts, --replicas and --cores must be at least 1, --host-cost-us positive, --heap-per-host-kib not negative");
        }
        out.printf("simulated release to %d hosts: %.0f µs of CPU per host per release on %d-core replicas, one PostgreSQL "
                + "notification per release (2 ms), 0.5 ms round trip, %.0f KiB of heap per connected host%n", n, hostCostMicros, cores, heapPerHostKiB);
        out.printf("%9s %9s %10s %9s %9s %9s %12s %12s%n", "replicas", "hosts", "per replica", "p50 ms", "p99 ms", "max ms", "heap MiB/rep",
                "cpu ms/rep");
        for (int r : replicas) {
            var res = PushSimulation.run(new PushSimulation.Params(n, r, cores, hostCostMicros, 2, 0.5,
                    heapPerHostKiB, seed == null ? 1 : seed));
            out.printf("%9d %9d %10d %9.0f %9.0f %9.0f %12.0f %12.0f%n", r, n, res.hostsPerReplica(), res.p50Millis(), res.p99Millis(),
                    res.maxMillis(), res.heapMiBPerReplica(), res.cpuMillisPerReplica());
        }
        out.flush();
        return 0;
    }

    private PollerSwarm.Transport transport() {
        if (stream) return PollerSwarm.Transport.STREAM;
        try {
            return PollerSwarm.Transport.of(transport);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--transport: " + e.getMessage());
        }
    }

    /** CPU milliseconds over {@code n} agents as microseconds each ("-": not measured). */
    private static String perAgent(long millis, int n) {
        return millis < 0 ? "-" : String.format("%.1f", 1000.0 * millis / n);
    }

    private int push(PrintWriter out) throws Exception {
        PollerSwarm.Transport how = transport();
        out.println("publish -> applied (bundle fetched) for N " + switch (how) {
            case STREAM -> "agents following the stream (reports on a second connection)";
            case CHANNEL -> "agents holding a channel (WebSocket: release and report on one connection)";
            case LONG_POLL -> "long-polling agents";
        } + ", release in one 100% wave;");
        var rounds = rounds();
        out.println(rounds.warmUps() + " warm-up releases, then " + rounds.measured() + " measured: latencies pooled over the measured releases, "
                + "CPU averaged per release, applied: per release;");
        out.println(separate ? "pollers in a separate process; CPU and heap are the servers' process's, from the release to the last agent's apply"
                : "pollers in the servers' process on one thread of their own: cpu ms is the process's less that thread's, heap is both's;"
                + " agents spread evenly over the servers");
        out.println("µs/agent: the servers' CPU per agent per release; pollers µs: the pollers' thread's, per agent per release"
                + (separate ? " (proc µs: their whole process's, with its JIT compiler and collector)" : "")
                + "; KiB/agent: heap each connected agent holds (after a full GC)");
        List<String[]> setups = new ArrayList<>();
        setups.add(new String[]{"sqlite", "1"});
        if (postgres != null && !postgres.isBlank()) for (int r : replicas) setups.add(new String[]{"postgresql", String.valueOf(r)});
        List<String> rows = new ArrayList<>();
        List<String> wentTo = new ArrayList<>();
        for (int n : agents) {
            for (String[] setup : setups) {
                var p = RolloutBenchmark.push(n, setup[0].equals("sqlite") ? null : postgres, Integer.parseInt(setup[1]), separate,
                        how, rounds(), out);
                var l = p.latencies();
                String latency = l.isEmpty() ? String.format("%9s %9s %9s", "-", "-", "-")
                        : String.format("%9d %9d %9d", l.get(l.size() / 2), l.get(Math.min(l.size() - 1, (int) Math.ceil(l.size() * 0.99) - 1)),
                        l.get(l.size() - 1));
                wentTo.add(threads(n + " " + setup[0] + " " + setup[1], p.threads(), n));
                rows.add(String.format("%8d %-11s %8s %s %9d %8d %10.1f %10s %9s %9d %9.1f", n, setup[0], setup[1], latency, p.applied(), p.cpuMillis(),
                        1000.0 * p.cpuMillis() / n, perAgent(p.pollersCpuMillis(), n), perAgent(p.pollersProcessCpuMillis(), n),
                        p.heapMiB(), p.heapBytesPerAgent() / 1024.0));
            }
        }
        out.printf("%8s %-11s %8s %9s %9s %9s %9s %8s %10s %10s %9s %9s %9s%n", "agents", "database", "servers", "p50 ms", "p99 ms", "max ms",
                "applied", "cpu ms", "µs/agent", "pollers µs", "proc µs", "heap MiB", "KiB/agent");
        rows.forEach(out::println);
        out.println("where the servers' CPU went in a measured release, µs per agent by thread (jvm: the JIT compiler's and the collector's):");
        wentTo.forEach(out::println);
        out.flush();
        return 0;
    }

    private RolloutBenchmark.Rounds rounds() {
        var d = RolloutBenchmark.Rounds.DEFAULT;
        if (releases != null && releases < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--releases: at least 1");
        if (warmUps != null && warmUps < 0) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--warm-ups: at least 0");
        return new RolloutBenchmark.Rounds(warmUps == null ? d.warmUps() : warmUps, releases == null ? d.measured() : releases);
    }

    /** One line of the threads' table: the groups that took at least 0.5 µs per agent, the rest summed as "other". */
    private static String threads(String setup, Map<String, Long> nanos, int n) {
        StringBuilder line = new StringBuilder(String.format("  %-22s", setup));
        double other = 0;
        for (var e : nanos.entrySet()) {
            double us = e.getValue() / 1000.0 / n;
            if (us < 0.5) other += us;
            else line.append(String.format(" %s %.1f ·", e.getKey(), us));
        }
        return line.append(String.format(" other %.1f", other)).toString();
    }

    /**
     * The channel against its floors: the same pollers and frames from plain java.nio ({@link SocketFloor}), from Netty's and
     * Jetty's WebSocket with no Rollguard logic ({@link NettyFloor}, {@link ChannelFloor}) and from the real server.
     */
    private int floor(PrintWriter out) throws Exception {
        out.println("publish -> applied for N agents holding a channel (WebSocket), release in one 100% wave, pollers in a separate process;");
        out.println("socket: plain java.nio, " + SocketFloor.selectors() + " selector thread(s), no web server (the upgrade, the release frame "
                + "built once and written to every connection, each report frame read and answered with a prepared frame); "
                + "netty: Netty's WebSocket as the channel's own port serves it, with no Rollguard logic (the same frames, prepared once, the "
                + "release written from 4 threads); jetty: Jetty's WebSocket through Javalin with no Rollguard logic (the same frames, the "
                + "release written from 4 threads); "
                + "the floors run after the real server, on a warm JIT; rollguard: the real server (bench push --separate); "
                + "x floor: CPU against the socket floor's, x jetty: against Jetty's");
        List<String> rows = new ArrayList<>();
        for (int n : agents) {
            // the real server first: the floors then run on code already compiled by the JIT, every advantage their own
            var r = RolloutBenchmark.push(n, null, 1, true, PollerSwarm.Transport.CHANNEL, rounds(), out);
            var j = ChannelFloor.run(n, out);
            var y = NettyFloor.run(n, out);
            var s = SocketFloor.run(n, out);
            rows.add(floorRow(n, "socket", s, s.cpuMillis(), j.cpuMillis()));
            rows.add(floorRow(n, "netty", y, s.cpuMillis(), j.cpuMillis()));
            rows.add(floorRow(n, "jetty", j, s.cpuMillis(), j.cpuMillis()));
            rows.add(floorRow(n, "rollguard", r, s.cpuMillis(), j.cpuMillis()));
        }
        out.printf("%8s %-10s %9s %9s %9s %8s %10s %10s %9s %9s%n", "agents", "server", "p50 ms", "p99 ms", "applied", "cpu ms", "µs/agent",
                "pollers µs", "x floor", "x jetty");
        rows.forEach(out::println);
        out.flush();
        return 0;
    }

    private static String floorRow(int n, String server, RolloutBenchmark.Push p, long socketCpu, long jettyCpu) {
        var l = p.latencies();
        return String.format("%8d %-10s %9s %9s %9d %8d %10.1f %10.1f %9s %9s", n, server, l.isEmpty() ? "-" : l.get(l.size() / 2),
                l.isEmpty() ? "-" : l.get(Math.min(l.size() - 1, (int) Math.ceil(l.size() * 0.99) - 1)), p.applied(), p.cpuMillis(),
                1000.0 * p.cpuMillis() / n, 1000.0 * p.pollersCpuMillis() / n, times(p.cpuMillis(), socketCpu), times(p.cpuMillis(), jettyCpu));
    }

    /** {@code cpu} as a multiple of {@code floor}'s ("-" when the floor measured no CPU at all). */
    private static String times(long cpu, long floor) {
        return floor <= 0 ? "-" : String.format("%.1f", (double) cpu / floor);
    }
}
