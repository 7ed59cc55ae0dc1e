package dev.rollguard.cli;

import dev.rollguard.agent.AccessLogTail;
import dev.rollguard.agent.Agent;
import dev.rollguard.agent.HealthWindow;
import dev.rollguard.agent.HttpProbe;
import dev.rollguard.agent.ReplaySet;
import dev.rollguard.agent.Safeguards;
import dev.rollguard.agent.ShadowCommand;
import dev.rollguard.agent.Watchdog;
import dev.rollguard.protocol.AgentProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "agent", description = "Run the agent of one host: apply the desired version atomically, run hooks, report health.")
public final class AgentCommand implements Callable<Integer> {
    @Option(names = "--server", required = true, split = ",", description = "Server URL(s); several for failover")
    List<String> servers;

    @Option(names = {"-s", "--service"}, required = true, description = "The service this host runs")
    String service;

    @Option(names = {"-e", "--env"}, required = true, description = "The environment this host belongs to")
    String env;

    @Option(names = "--host-id", required = true, description = "This host's id (unique in the environment)")
    String host;

    @Option(names = "--target", required = true, description = "Directory the agent owns: releases/ and the 'current' link")
    Path target;

    @Option(names = "--pre-apply", description = "Shell command validating a staged tree (ROLLGUARD_RELEASE_DIR), e.g. 'apache2ctl -t'")
    String preApply;

    @Option(names = "--reload", description = "Shell command run after the switch, e.g. 'apache2ctl graceful'")
    String reload;

    @Option(names = "--access-log", description = "Access log to tail for health (combined format, optional trailing %%D)")
    Path accessLog;

    @Option(names = "--probe", split = ",", description = "URL(s) to probe for health")
    List<String> probes;

    @Option(names = "--keep", defaultValue = "5", description = "Releases kept on disk (default ${DEFAULT-VALUE})")
    int keep;

    @Option(names = "--report-interval-ms", defaultValue = "500", description = "How often the agent reports health and heartbeat (default ${DEFAULT-VALUE} ms)")
    long reportMillis;

    @Option(names = "--token", description = "This host's enrolment token (env ROLLGUARD_AGENT_TOKEN; rollguard enrol makes one)",
            defaultValue = "${env:ROLLGUARD_AGENT_TOKEN}")
    String token;

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

    @Option(names = "--preflight-replay-routes", defaultValue = "1000",
            description = "With --preflight and --access-log: how many distinct routes of this host's recent GET/HEAD requests to keep "
                    + "for preflight's replay (0: no replay; default ${DEFAULT-VALUE}); the service spec's preflight.replay says how many are sent")
    int replayCapacity;

    @Option(names = "--watchdog-seconds", defaultValue = "0",
            description = "After a switch, watch this host's own requests this long and revert at once on a hard failure (0: off)")
    long watchdogSeconds;

    @Option(names = "--watchdog-min-requests", defaultValue = "10", description = "Requests needed before the watchdog judges (default ${DEFAULT-VALUE})")
    long watchdogMinRequests;

    @Option(names = "--watchdog-error-share", defaultValue = "0.8", description = "Share of 5xx that reverts (default ${DEFAULT-VALUE})")
    double watchdogShare;

    /** This host's own probes, when any --preflight-* flag gives them (null: the service spec's, or the default). */
    private AgentProtocol.PreflightSpec localProbes() {
        if (preflightPaths == null && preflightStatus == null && preflightBody == null && preflightTimeout == null) return null;
        List<String> paths = preflightPaths == null || preflightPaths.isEmpty() ? List.of("/") : preflightPaths;
        return new AgentProtocol.PreflightSpec(paths.stream().map(p -> new AgentProtocol.Probe(p, preflightStatus == null ? 200 : preflightStatus,
                preflightBody)).toList(), preflightTimeout == null ? 0 : preflightTimeout);
    }

    @Override
    public Integer call() throws Exception {
        Safeguards safeguards;
        try {
            safeguards = new Safeguards(preflight == null ? null : new ShadowCommand(preflight, target),
                    preflight == null ? null : localProbes(),
                    watchdogSeconds <= 0 ? null : new Watchdog.Settings(Duration.ofSeconds(watchdogSeconds), watchdogMinRequests, watchdogShare));
        } catch (IllegalArgumentException e) {
            System.err.println("rollguard agent: " + e.getMessage());
            return 2;
        }
        HealthWindow window = new HealthWindow(Clock.systemUTC().instant());
        // the access log feeds preflight's replay too: this host's own recent requests, replayed to the staged tree
        ReplaySet replay = accessLog == null || preflight == null || replayCapacity <= 0 ? null : new ReplaySet(replayCapacity);
        safeguards = safeguards.withReplay(replay);
        AccessLogTail tail = accessLog == null ? null : new AccessLogTail(accessLog, window, replay, true);
        HttpProbe probe = probes == null ? null : new HttpProbe(probes, Duration.ofMillis(Math.max(100, reportMillis / 5)), window);
        Agent agent = new Agent(new Agent.Config(servers, service, env, host, target, preApply, reload, keep,
                Duration.ofMillis(reportMillis), null, null, token).withSafeguards(safeguards), window, Clock.systemUTC()).start();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            if (tail != null) tail.close();
            if (probe != null) probe.close();
            stop.countDown();
        }));
        System.err.println("rollguard agent " + host + " (" + service + "/" + env + ") managing " + target);
        stop.await();
        return 0;
    }
}
