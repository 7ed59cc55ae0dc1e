package dev.rollguard.cli;

import dev.rollguard.agent.AccessLogTail;
import dev.rollguard.agent.Agent;
import dev.rollguard.agent.AgentConfig;
import dev.rollguard.agent.HealthWindow;
import dev.rollguard.agent.HttpProbe;
import dev.rollguard.agent.ReplaySet;
import dev.rollguard.agent.Safeguards;
import dev.rollguard.agent.ShadowCommand;
import dev.rollguard.agent.Watchdog;
import dev.rollguard.protocol.AgentProtocol;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * One agent process for the services of a host: each {@code --service} starts a group of options (its environment,
 * target directory, hooks, health sources and safeguards) that ends where the next {@code --service} begins. The agents
 * share one HTTP client (its connections kept alive and reused) and the host's id. Long option lists go in a file,
 * one option per line, given as {@code @/etc/rollguard/agent.args} (picocli's argument files).
 */
@Command(name = "agent", description = {"Run the agent of one host: apply the desired version atomically, run hooks, report health.",
        "Several services in one process: repeat --service with its own --env, --target and hooks, e.g. "
                + "--service apache -e production --target /etc/apache2/rollguard --reload 'apache2ctl graceful' "
                + "--service docroot -e production --target /srv/www/rollguard. Options can be read from a file: @FILE."})
public final class AgentCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--server", required = true, split = ",", description = "Server URL(s), comma-separated or repeated: the replicas of one "
            + "server; each host starts at one its --host-id picks (a fleet spreads over them) and moves to the next when it fails")
    List<String> servers;

    @Option(names = "--host-id", required = true, description = "This host's id (unique in the environment)")
    String host;

    @Option(names = "--label", split = ",", description = "This host's labels, key=value (repeatable); a service's rollout may "
            + "pick its canaries by one (rollout.canary.label)")
    List<String> labels;

    @Option(names = "--keep", defaultValue = "5", description = "Releases kept on disk per service (default ${DEFAULT-VALUE})")
    int keep;

    @Option(names = "--stream", description = "Hear of releases over a persistent connection: the channel (a WebSocket that carries the "
            + "reports too), else the stream (server-sent events): one write per release instead of a request; long-polls where the "
            + "server or a proxy has neither, and for one round after they drop or go silent. The default (the flag is kept for "
            + "scripts that give it)")
    boolean stream;

    @Option(names = "--no-channel", description = "Never open the channel: the stream (server-sent events) and reports by POST "
            + "(a proxy that passes server-sent events but mishandles WebSockets)")
    boolean noChannel;

    @Option(names = {"--no-stream", "--long-poll"}, description = "Long-poll only, never open the stream (a proxy that buffers "
            + "server-sent events, which the agent cannot tell from a silent stream)")
    boolean longPoll;

    @Option(names = "--report-interval-ms", defaultValue = "500", description = "How often the agent reports health and heartbeat (default ${DEFAULT-VALUE} ms)")
    long reportMillis;

    @ArgGroup(exclusive = false, multiplicity = "1..*", heading = "Per service (repeat from --service for each service of this host):%n")
    List<ServiceOptions> services = new ArrayList<>();

    /** What one service of the host needs: everything from its {@code --service} to the next. */
    static final class ServiceOptions {
        @Option(names = {"-s", "--service"}, required = true, description = "A service this host runs (repeatable: starts its group of options)")
        String service;

        @Option(names = {"-e", "--env"}, required = true, description = "The environment this host belongs to for the service")
        String env;

        @Option(names = "--target", required = true, description = "Directory the agent owns for the service: releases/ and the 'current' link")
        Path target;

        @Option(names = "--pre-apply", description = "Shell command validating a staged tree (ROLLGUARD_RELEASE_DIR), e.g. 'apache2ctl -t'")
        String preApply;

        @Option(names = "--reload", description = "Shell command run after the switch, e.g. 'apache2ctl graceful'")
        String reload;

        @Option(names = "--token", description = "The enrolment token for this service (env ROLLGUARD_AGENT_TOKEN; rollguard enrol makes one)",
                defaultValue = "${env:ROLLGUARD_AGENT_TOKEN}")
        String token;

        @Option(names = "--access-log", description = "Access log to tail for the service's health (combined format, optional trailing %%D)")
        Path accessLog;

        @Option(names = "--probe", split = ",", description = "URL(s) to probe for the service's health")
        List<String> probes;

        @Option(names = "--preflight", description = "Shell command starting the staged tree (ROLLGUARD_STAGED_DIR) in the foreground on "
                + "ROLLGUARD_PREFLIGHT_PORT; the agent probes it before the switch and stops it, e.g. "
                + "'exec php -d display_errors=0 -S 127.0.0.1:$ROLLGUARD_PREFLIGHT_PORT -t \"$ROLLGUARD_STAGED_DIR\"'")
        String preflight;

        @Option(names = "--preflight-path", split = ",", description = "Path(s) the preflight requests; any of the --preflight-* flags "
                + "replaces the service spec's probes on this host (default: the spec's 'preflight', else GET / expecting 200)")
        List<String> preflightPaths;

        @Option(names = "--preflight-status", description = "Status every preflight path must answer (default 200)")
        Integer preflightStatus;

        @Option(names = "--preflight-body", description = "Regular expression every preflight body must contain")
        String preflightBody;

        @Option(names = "--preflight-timeout-seconds", description = "Start and probe within (default 20 s)")
        Integer preflightTimeout;

        @Option(names = "--preflight-replay-routes",
                description = "With --preflight and --access-log: how many distinct routes of the service's recent GET/HEAD requests to keep "
                        + "for preflight's replay (0: no replay; default 1000); the service spec's preflight.replay says how many are sent")
        Integer replayCapacity;

        @Option(names = "--watchdog-seconds",
                description = "After a switch, watch this host's own requests this long and revert at once on a hard failure (0: off)")
        Long watchdogSeconds;

        @Option(names = "--watchdog-min-requests", description = "Requests needed before the watchdog judges (default 10)")
        Long watchdogMinRequests;

        @Option(names = "--watchdog-error-share", description = "Share of 5xx that reverts (default 0.8)")
        Double watchdogShare;

        /** This host's own probes, when any --preflight-* flag gives them (null: the service spec's, or the default). */
        private AgentProtocol.PreflightSpec localProbes() {
            if (preflightPaths == null && preflightStatus == null && preflightBody == null && preflightTimeout == null) return null;
            List<String> paths = preflightPaths == null || preflightPaths.isEmpty() ? List.of("/") : preflightPaths;
            return new AgentProtocol.PreflightSpec(paths.stream().map(p -> new AgentProtocol.Probe(p, preflightStatus == null ? 200 : preflightStatus,
                    preflightBody)).toList(), preflightTimeout == null ? 0 : preflightTimeout);
        }

        private ReplaySet replay;

        /** The sample of the service's recent requests that preflight replays: fed by its access log (null: no replay). */
        ReplaySet replay() {
            int capacity = replayCapacity == null ? ReplaySet.DEFAULT_CAPACITY : replayCapacity;
            if (replay == null && accessLog != null && preflight != null && capacity > 0) replay = new ReplaySet(capacity);
            return replay;
        }

        Safeguards safeguards() {
            return new Safeguards(preflight == null ? null : new ShadowCommand(preflight, target),
                    preflight == null ? null : localProbes(),
                    // primitives with picocli defaults in this repeated group broke `agent --help` (no group instance to read them from)
                    watchdogSeconds == null || watchdogSeconds <= 0 ? null : new Watchdog.Settings(Duration.ofSeconds(watchdogSeconds),
                            watchdogMinRequests == null ? 10 : watchdogMinRequests, watchdogShare == null ? 0.8 : watchdogShare),
                    replay());
        }
    }

    /**
     * The agents' configurations, one per --service group. Two groups of one service and environment, or two sharing a
     * target directory (each would replace the other's 'current'), are a usage error.
     */
    List<AgentConfig> configs() {
        if (stream && longPoll) throw new ParameterException(spec.commandLine(), "--stream and --long-poll (--no-stream) exclude each other");
        Set<String> seen = new HashSet<>();
        Set<Path> targets = new HashSet<>();
        List<AgentConfig> out = new ArrayList<>();
        for (ServiceOptions s : services) {
            if (!seen.add(s.service + "/" + s.env)) {
                throw new ParameterException(spec.commandLine(), "--service " + s.service + " --env " + s.env + " is given twice");
            }
            if (!targets.add(s.target.toAbsolutePath().normalize())) {
                throw new ParameterException(spec.commandLine(), "--target " + s.target + " is given to two services: each needs its own directory");
            }
            Safeguards guards;
            try {
                guards = s.safeguards();
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--service " + s.service + ": " + e.getMessage());
            }
            out.add(new AgentConfig(servers, s.service, s.env, host, s.target, s.preApply, s.reload, keep,
                    Duration.ofMillis(reportMillis), null, null, s.token).withSafeguards(guards).withStream(!longPoll).withChannel(!longPoll && !noChannel)
                    .withLabels(labels == null || labels.isEmpty() ? null : String.join(",", labels)));
        }
        return out;
    }

    @Override
    public Integer call() throws Exception {
        List<AgentConfig> configs = configs();
        HttpClient http = Agent.newHttpClient();
        List<AutoCloseable> running = new ArrayList<>();
        for (int i = 0; i < configs.size(); i++) {
            ServiceOptions s = services.get(i);
            HealthWindow window = new HealthWindow(Clock.systemUTC().instant());
            if (s.accessLog != null) running.add(new AccessLogTail(s.accessLog, window, s.replay(), true));
            if (s.probes != null) running.add(new HttpProbe(s.probes, Duration.ofMillis(Math.max(100, reportMillis / 5)), window));
            running.add(0, new Agent(configs.get(i), window, Clock.systemUTC(), http).start());
            System.err.println("rollguard agent " + host + " (" + s.service + "/" + s.env + ") managing " + s.target);
        }
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (AutoCloseable c : running) {
                try {
                    c.close();
                } catch (Exception e) {
                    // stopping: each of the others still gets its close
                }
            }
            stop.countDown();
        }));
        stop.await();
        return 0;
    }
}
