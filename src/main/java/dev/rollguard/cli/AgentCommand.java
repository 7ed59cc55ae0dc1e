package dev.rollguard.cli;

import dev.rollguard.agent.AccessLogTail;
import dev.rollguard.agent.Agent;
import dev.rollguard.agent.HealthWindow;
import dev.rollguard.agent.HttpProbe;
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

    @Override
    public Integer call() throws Exception {
        HealthWindow window = new HealthWindow(Clock.systemUTC().instant());
        AccessLogTail tail = accessLog == null ? null : new AccessLogTail(accessLog, window, true);
        HttpProbe probe = probes == null ? null : new HttpProbe(probes, Duration.ofMillis(Math.max(100, reportMillis / 5)), window);
        Agent agent = new Agent(new Agent.Config(servers, service, env, host, target, preApply, reload, keep,
                Duration.ofMillis(reportMillis), null, null, token), window, Clock.systemUTC()).start();
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
