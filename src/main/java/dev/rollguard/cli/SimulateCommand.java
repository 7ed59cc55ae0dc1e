package dev.rollguard.cli;

import dev.rollguard.sim.Fleet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "simulate", description = "Run N simulated hosts with real agents against a server, under load, until stopped.")
public final class SimulateCommand implements Callable<Integer> {
    @Option(names = "--server", split = ",", defaultValue = "${env:ROLLGUARD_SERVER:-http://127.0.0.1:8080}", description = {"Server URL(s), comma-separated (env ROLLGUARD_SERVER), default:", "${DEFAULT-VALUE}"})
    List<String> servers;

    @Option(names = {"-s", "--service"}, required = true, description = "The service the simulated hosts run")
    String service;

    @Option(names = {"-e", "--env"}, required = true, description = "The environment they belong to")
    String env;

    @Option(names = "--hosts", defaultValue = "10", description = "How many simulated hosts, each with a real agent (default ${DEFAULT-VALUE})")
    int hosts;

    @Option(names = "--rps", defaultValue = "50", description = "Requests per second per host (default ${DEFAULT-VALUE})")
    double rps;

    @Option(names = "--in-process", description = "Serve load in-process instead of over loopback HTTP")
    boolean inProcess;

    @Option(names = "--dir", description = "Where the hosts' target directories go (default: a temp dir)")
    Path dir;

    @picocli.CommandLine.Option(names = "--token", description = "Enrolment token for the simulated hosts' agents (env ROLLGUARD_AGENT_TOKEN)",
            defaultValue = "${env:ROLLGUARD_AGENT_TOKEN}")
    String token;

    @Override
    public Integer call() throws Exception {
        Path base = dir != null ? dir : Files.createTempDirectory("rollguard-sim-");
        Fleet fleet = new Fleet(servers, service, env, hosts, base, Duration.ofMillis(500), !inProcess, token).start().load(rps, !inProcess);
        Runtime.getRuntime().addShutdownHook(new Thread(fleet::close));
        System.err.println("simulating " + hosts + " host(s) of " + service + "/" + env + " at " + rps + " req/s each in " + base);
        while (true) {
            Thread.sleep(5000);
            System.err.printf("requests %d, failed %d, hosts by version: %s%n", fleet.loadGenerator().sent(),
                    fleet.loadGenerator().failed(), fleet.members().stream()
                            .collect(Collectors.groupingBy(m -> String.valueOf(m.agent().appliedVersion()),
                                    TreeMap::new, Collectors.counting())));
        }
    }
}
