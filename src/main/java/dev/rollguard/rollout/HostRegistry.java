package dev.rollguard.rollout;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.health.HealthStore;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.HealthSample;
import dev.rollguard.versions.ConfigService;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The hosts the agents run on: registration, the version each should run, and what each reports (written in groups by
 * {@link HostReports}); wakes a host's long-poll when its desired version changes ({@link HostSignals}).
 */
public final class HostRegistry implements AutoCloseable {
    private final ConfigService config;
    private final RolloutStore store;
    private final HealthStore health;
    private final HostSignals signals;
    private final Clock clock;
    private final HostReports reports;
    /**
     * Which token enrolled each registered host ("": a person registered it), so the check on every poll reads no row:
     * it never changes once the host is registered.
     */
    private final Map<HostSignals.Host, String> enrolledBy = new ConcurrentHashMap<>();

    /**
     * The enrolment token an agent speaks with: how many hosts it may register, and the one host it is bound to (null:
     * none, it registers hosts of its environment up to its limit).
     */
    public record Enrolment(String tokenId, int maxHosts, String host) {
        public Enrolment(String tokenId, int maxHosts) {
            this(tokenId, maxHosts, null);
        }
    }

    public HostRegistry(ConfigService config, RolloutStore store, HealthStore health, HostSignals signals, Clock clock) {
        this.config = config;
        this.store = store;
        this.health = health;
        this.signals = signals;
        this.clock = clock;
        this.reports = new HostReports(store);
    }

    public HostSignals signals() { return signals; }

    public HostInfo register(String service, String env, String host, String labels) {
        return register(service, env, host, labels, null);
    }

    /** Registers a host; with an {@code enrolment}, only while its token has registered fewer than its limit of hosts. */
    public HostInfo register(String service, String env, String host, String labels, Enrolment enrolment) {
        ServiceSpec spec = config.service(service);
        if (!spec.environments().contains(env)) throw Problem.notFound("unknown_environment", service + " has no environment '" + env + "'");
        checkHostName(host);
        return store.register(service, env, host, labels, config.released(service, env), clock.instant(), enrolment);
    }

    /**
     * Refuses an agent's token that speaks for a host registered with another credential: once registered, a host's
     * identity is its enrolling token's (or a token bound to that host by name), so an unbound token of the environment
     * cannot report or long-poll as a host that has its own. People ({@code who} null) and unregistered hosts pass.
     */
    public void requireCredential(String service, String env, String host, Enrolment who) {
        if (who == null || host.equals(who.host())) return;
        HostSignals.Host key = new HostSignals.Host(service, env, host);
        String owner = enrolledBy.get(key);
        if (owner == null) {
            Optional<String> read = store.enrolledBy(service, env, host);
            if (read.isEmpty()) return; // not registered: the request answers unknown_host
            owner = read.get();
            enrolledBy.put(key, owner);
        }
        if (!owner.isEmpty() && !owner.equals(who.tokenId())) throw RolloutStore.otherCredential(host);
    }

    /**
     * The version the host should run (null: none yet); asked on every long-poll and every re-chained wait, so it is
     * answered from memory ({@link HostSignals#known}) once the host was read or woken here.
     */
    public Integer desiredVersion(String service, String env, String host) {
        return desiredVersion(new HostSignals.Host(service, env, host));
    }

    /** As above, for a host already keyed. */
    Integer desiredVersion(HostSignals.Host key) {
        HostSignals.Desired d = signals.known(key);
        if (d == null) {
            d = store.desired(key.service(), key.env(), key.host()).orElseThrow(() -> unknownHost(key.service(), key.env(), key.host()));
            signals.remember(key, d);
        }
        return d.version();
    }

    /** The hosts registered for an environment, as the last reports left them. */
    public List<HostInfo> hosts(String service, String env) {
        return store.hosts(service, env);
    }

    /**
     * Records what a host runs and its health; answers the version it should run. Reports are written in groups, so the
     * answer completes when the group is committed. {@code failure}: why {@code failed} failed, as the agent typed it
     * (null: not said).
     */
    public CompletableFuture<Integer> report(String service, String env, String host, Integer applied, Integer failed, String error,
                                             AgentProtocol.HostFailure failure, List<HealthSample> samples) {
        Instant now = clock.instant();
        AgentProtocol.HostFailure f = failure == null ? null : failure.bounded();
        HostSignals.Host key = new HostSignals.Host(service, env, host);
        var report = new HostReports.Report(key, applied, failed, error == null ? null : truncate(error, 2000),
                f == null || failed == null ? null : Json.write(f), now);
        return reports.submit(report).thenApply(desired -> {
            Integer version = desired.orElseThrow(() -> unknownHost(service, env, host)).version();
            HostSignals.Desired known = signals.known(key);
            // the store says otherwise than memory (a wake-up missed, or a release racing this report): the host's waits
            // read the store again
            if (known != null && !Objects.equals(known.version(), version)) signals.wake(service, env, List.of(host), null);
            health.report(service, env, host, samples == null || samples.isEmpty() ? List.of()
                    : samples.stream().map(HealthStore.Sample::of).toList(), now);
            return version;
        });
    }

    /** The probes the service's spec declares for its agents' preflight (null: none). */
    public AgentProtocol.PreflightSpec preflight(String service) {
        return config.service(service).preflight();
    }

    /** Another server changed desired versions: wake this server's long-polls (all hosts of the env if not named). */
    public void changedElsewhere(String service, String env, Map<String, Integer> hosts) {
        if (hosts == null) {
            hosts = new HashMap<>();
            for (HostInfo h : store.hosts(service, env)) hosts.put(h.host(), h.desiredVersion());
        }
        signals.wake(service, env, hosts);
    }

    @Override
    public void close() {
        reports.close();
    }

    private static Problem unknownHost(String service, String env, String host) {
        return Problem.notFound("unknown_host", "host '" + host + "' is not registered for " + service + "/" + env + "; register it first");
    }

    private static void checkHostName(String host) {
        if (host == null || !host.matches("^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")) {
            throw Problem.badRequest("invalid_host", "invalid host id '" + host + "': use letters, digits, '.', '_', ':', '-'");
        }
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }
}
