package dev.rollguard.sim;

import dev.rollguard.agent.Agent;
import dev.rollguard.agent.AgentConfig;
import dev.rollguard.agent.HealthWindow;
import dev.rollguard.agent.Safeguards;
import dev.rollguard.agent.Watchdog;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** N simulated hosts, each with a real agent (in-process, over HTTP to the server), and optional load. */
public final class Fleet implements AutoCloseable {
    public record Member(SimulatedHost host, Agent agent) {}

    private final List<Member> members = new ArrayList<>();
    private LoadGenerator load;

    public Fleet(List<String> servers, String service, String env, int size, Path baseDir, Duration reportInterval,
                 boolean listen, String token) throws IOException {
        this(servers, service, env, size, baseDir, reportInterval, listen, token, true, false, null);
    }

    /**
     * With {@code agentSamples} false the agents report no traffic (as agents without an access log or probe): the
     * hosts' health is then visible only through their {@code /metrics}, to a Prometheus.
     */
    public Fleet(List<String> servers, String service, String env, int size, Path baseDir, Duration reportInterval,
                 boolean listen, String token, boolean agentSamples) throws IOException {
        this(servers, service, env, size, baseDir, reportInterval, listen, token, agentSamples, false, null);
    }

    /**
     * @param preflight each agent probes its host's request handler on the staged tree (on a loopback port) before the switch
     * @param watchdog  each agent reverts on its own after a switch that fails hard (null: off)
     */
    public Fleet(List<String> servers, String service, String env, int size, Path baseDir, Duration reportInterval,
                 boolean listen, String token, boolean preflight, Watchdog.Settings watchdog) throws IOException {
        this(servers, service, env, size, baseDir, reportInterval, listen, token, true, preflight, watchdog);
    }

    private Fleet(List<String> servers, String service, String env, int size, Path baseDir, Duration reportInterval,
                  boolean listen, String token, boolean agentSamples, boolean preflight, Watchdog.Settings watchdog) throws IOException {
        for (int i = 0; i < size; i++) {
            String name = String.format("host-%04d", i);
            Path target = baseDir.resolve(name);
            HealthWindow window = new HealthWindow(Clock.systemUTC().instant());
            SimulatedHost host = new SimulatedHost(name, target, window);
            if (listen) host.listen();
            Agent agent = new Agent(new AgentConfig(servers, service, env, name, target, null, null, 3, reportInterval, null, null, token)
                    .withSafeguards(new Safeguards(preflight ? host.shadow() : null, null, watchdog)),
                    agentSamples ? window : new HealthWindow(Clock.systemUTC().instant()), Clock.systemUTC());
            members.add(new Member(host, agent));
        }
    }

    public Fleet start() {
        members.forEach(m -> m.agent().start());
        return this;
    }

    public Fleet load(double rpsPerHost, boolean overHttp) {
        load = new LoadGenerator(members.stream().map(Member::host).toList(), rpsPerHost, overHttp);
        return this;
    }

    public List<Member> members() { return members; }
    public LoadGenerator loadGenerator() { return load; }

    public long onVersion(int version) {
        return members.stream().filter(m -> Integer.valueOf(version).equals(m.agent().appliedVersion())).count();
    }

    @Override
    public void close() {
        if (load != null) load.close();
        members.forEach(m -> {
            m.agent().close();
            m.host().close();
        });
    }
}
