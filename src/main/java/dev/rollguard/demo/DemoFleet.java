package dev.rollguard.demo;

import dev.rollguard.agent.AccessLogTail;
import dev.rollguard.agent.Agent;
import dev.rollguard.agent.AgentConfig;
import dev.rollguard.agent.HealthWindow;
import dev.rollguard.agent.ReplaySet;
import dev.rollguard.agent.Safeguards;
import dev.rollguard.agent.ShadowCommand;
import dev.rollguard.agent.Watchdog;
import dev.rollguard.sim.Fleet;
import dev.rollguard.sim.LoadGenerator;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The demo's hosts: production (under load) and testing (quiet, as in the seed), with a real agent each. */
public interface DemoFleet extends AutoCloseable {
    /** "5 Apache 2 + mod_php hosts" or "5 simulated hosts". */
    String describe();

    List<String> productionUrls();

    long onVersion(String env, int version);

    /** Hosts of an environment that ever made this version live. */
    Set<String> hostsThatApplied(String env, int version);

    void startLoad(double rpsPerHost);

    long requestsSent();

    long requestsFailed();

    /** Of {@link #requestsFailed()}, those answered 5xx (the rest got no answer within the load generator's timeout). */
    long requestsAnswered5xx();

    @Override
    void close();

    /** Real Apache instances on loopback, each managed by an agent that tails its access log. */
    final class Apache implements DemoFleet {
        private record Member(String env, ApacheHost apache, Agent agent, AccessLogTail tail) {}

        private final List<Member> members = new ArrayList<>();
        private LoadGenerator load;

        public Apache(String server, String service, int productionHosts, Path dir, Map<String, String> enrolments)
                throws IOException, InterruptedException {
            this(server, service, productionHosts, dir, enrolments, false, null);
        }

        /**
         * @param preflight each agent starts a second Apache on the staged tree and probes it before the switch
         * @param watchdog  each agent watches its access log after the switch and reverts on its own (null: off)
         */
        public Apache(String server, String service, int productionHosts, Path dir, Map<String, String> enrolments,
                      boolean preflight, Watchdog.Settings watchdog) throws IOException, InterruptedException {
            try {
                for (int i = 0; i <= productionHosts; i++) {
                    String env = i == 0 ? "testing" : "production";
                    String name = i == 0 ? "test-1" : "web-" + i;
                    ApacheHost apache = new ApacheHost(name, dir.resolve(name), ApacheHost.freePort()).start(Duration.ofSeconds(20));
                    HealthWindow window = new HealthWindow(Clock.systemUTC().instant());
                    // with preflight, the host's own recent requests are replayed to the staged tree before a switch
                    ReplaySet replay = preflight ? new ReplaySet(ReplaySet.DEFAULT_CAPACITY) : null;
                    AccessLogTail tail = new AccessLogTail(apache.accessLog(), window, replay, true);
                    Agent agent = new Agent(new AgentConfig(List.of(server), service, env, name, apache.target(), apache.preApplyHook(),
                            apache.reloadHook(), 3, Duration.ofMillis(250), Duration.ofSeconds(20), null, enrolments.get(env))
                            .withSafeguards(new Safeguards(preflight ? new ShadowCommand(apache.preflightHook(), apache.target()) : null,
                                    null, watchdog, replay)), window,
                            Clock.systemUTC());
                    members.add(new Member(env, apache, agent, tail));
                    agent.start();
                }
            } catch (IOException | InterruptedException | RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public String describe() {
            long prod = members.stream().filter(m -> m.env().equals("production")).count();
            return prod + " Apache 2 + mod_php hosts in production, 1 in testing (ports "
                    + members.stream().map(m -> String.valueOf(m.apache().port())).reduce((a, b) -> a + ", " + b).orElse("") + ")";
        }

        @Override
        public List<String> productionUrls() {
            return members.stream().filter(m -> m.env().equals("production")).map(m -> m.apache().url()).toList();
        }

        @Override
        public long onVersion(String env, int version) {
            return members.stream().filter(m -> m.env().equals(env) && Integer.valueOf(version).equals(m.agent().appliedVersion())).count();
        }

        @Override
        public Set<String> hostsThatApplied(String env, int version) {
            Set<String> out = new TreeSet<>();
            for (Member m : members) {
                if (m.env().equals(env) && m.agent().everApplied().contains(version)) out.add(m.apache().name());
            }
            return out;
        }

        @Override
        public void startLoad(double rpsPerHost) {
            load = LoadGenerator.http(productionUrls(), rpsPerHost);
        }

        /** Load over a mix of pages: each production host is asked each of {@code paths} in turn. */
        public void startLoad(double rpsPerHost, List<String> paths) {
            load = LoadGenerator.http(productionUrls(), rpsPerHost, paths);
        }

        /** Requests answered 4xx: a page a bad config forbids or lost. */
        public long requestsAnswered4xx() { return load == null ? 0 : load.clientErrors(); }

        @Override
        public long requestsSent() { return load == null ? 0 : load.sent(); }

        @Override
        public long requestsFailed() { return load == null ? 0 : load.failed(); }

        @Override
        public long requestsAnswered5xx() { return load == null ? 0 : load.serverErrors(); }

        @Override
        public void close() {
            if (load != null) load.close();
            for (Member m : members) {
                m.agent().close();
                m.tail().close();
                m.apache().close();
            }
        }
    }

    /** Where Apache cannot run: in-process simulated hosts that answer 500 when a required file is missing. */
    final class Simulated implements DemoFleet {
        private final Fleet production;
        private final Fleet testing;

        public Simulated(String server, String service, int productionHosts, Path dir, Map<String, String> enrolments)
                throws IOException {
            production = new Fleet(List.of(server), service, "production", productionHosts, dir.resolve("production"),
                    Duration.ofMillis(250), true, enrolments.get("production")).start();
            testing = new Fleet(List.of(server), service, "testing", 1, dir.resolve("testing"), Duration.ofMillis(250), true,
                    enrolments.get("testing")).start();
        }

        @Override
        public String describe() {
            return production.members().size() + " simulated hosts in production, 1 in testing";
        }

        @Override
        public List<String> productionUrls() {
            return production.members().stream().map(m -> m.host().url()).toList();
        }

        @Override
        public long onVersion(String env, int version) {
            return (env.equals("testing") ? testing : production).onVersion(version);
        }

        @Override
        public Set<String> hostsThatApplied(String env, int version) {
            Set<String> out = new TreeSet<>();
            for (Fleet.Member m : (env.equals("testing") ? testing : production).members()) {
                if (m.agent().everApplied().contains(version)) out.add(m.host().name());
            }
            return out;
        }

        @Override
        public void startLoad(double rpsPerHost) {
            production.load(rpsPerHost, true);
        }

        @Override
        public long requestsSent() { return production.loadGenerator() == null ? 0 : production.loadGenerator().sent(); }

        @Override
        public long requestsFailed() { return production.loadGenerator() == null ? 0 : production.loadGenerator().failed(); }

        @Override
        public long requestsAnswered5xx() { return production.loadGenerator() == null ? 0 : production.loadGenerator().serverErrors(); }

        @Override
        public void close() {
            production.close();
            testing.close();
        }
    }
}
