package dev.rollguard.prometheus;

import dev.rollguard.config.PrometheusSettings;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.health.HealthStore;
import dev.rollguard.rollout.HealthGaps;
import dev.rollguard.rollout.HostInfo;
import dev.rollguard.rollout.RolloutService;
import dev.rollguard.versions.ConfigService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Prometheus as a health source. For each service whose spec names a Prometheus, every interval, each registered
 * host's requests, 5xx and latency queries are run and turned into the same per-host samples an agent reports
 * (rate × elapsed time, fractions carried to the next poll), so the canary analysis and the SLO monitor read them
 * exactly as they read agents' reports. A query that fails or finds nothing leaves the host without data, and
 * {@link #noData} says so: the orchestrator pauses instead of judging on silence.
 */
public final class PrometheusSource implements HealthGaps, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PrometheusSource.class);

    /** What the last polls of one host gave. */
    private static final class HostState {
        volatile Instant lastAttempt;
        volatile Instant lastSuccess;
        volatile String lastError;
        Instant sampleEnd;
        double carryRequests;
        double carryErrors;
        Integer version;
        Instant versionSince;
    }

    private final ConfigService config;
    private final RolloutService rollouts;
    private final HealthStore health;
    private final PrometheusClient client;
    private final Clock clock;
    private final Map<String, HostState> hosts = new ConcurrentHashMap<>();
    private final Map<String, PrometheusSettings> active = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastPoll = new HashMap<>();
    private volatile BooleanSupplier duty = () -> true;
    private ScheduledExecutorService loop;

    public PrometheusSource(ConfigService config, RolloutService rollouts, HealthStore health, PrometheusClient client, Clock clock) {
        this.config = config;
        this.rollouts = rollouts;
        this.health = health;
        this.client = client;
        this.clock = clock;
    }

    /** Of several servers, the orchestrator's holder polls (its analysis reads the samples first-hand). */
    public void runOnlyWhen(BooleanSupplier duty) {
        this.duty = duty;
    }

    public synchronized void start(Duration tick) {
        if (loop != null) return;
        loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "prometheus-source");
            t.setDaemon(true);
            return t;
        });
        loop.scheduleWithFixedDelay(() -> {
            try {
                if (duty.getAsBoolean()) pollDue();
            } catch (RuntimeException e) {
                log.warn("prometheus poll failed: {}", e.toString());
            }
        }, 0, tick.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One pass: every service whose interval has passed is polled, all its hosts' queries in parallel. */
    public void pollDue() {
        Map<String, PrometheusSettings> seen = new HashMap<>();
        for (String service : config.services()) {
            ServiceSpec spec = config.findService(service).orElse(null);
            if (spec == null || spec.prometheus() == null) continue;
            PrometheusSettings p = spec.prometheus();
            seen.put(service, p);
            Instant now = clock.instant();
            Instant last = lastPoll.get(service);
            if (last != null && Duration.between(last, now).toMillis() < p.intervalSeconds() * 1000L - 50) continue;
            lastPoll.put(service, now);
            poll(service, spec, p);
        }
        active.keySet().retainAll(seen.keySet());
        active.putAll(seen);
    }

    private void poll(String service, ServiceSpec spec, PrometheusSettings p) {
        Duration timeout = Duration.ofSeconds(p.timeoutSeconds());
        List<Runnable> finish = new ArrayList<>();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (String env : spec.environments()) {
            for (HostInfo h : rollouts.hosts(service, env)) {
                Map<String, String> vars = Map.of("host", h.host(), "env", env, "service", service,
                        "version", h.appliedVersion() == null ? "" : h.appliedVersion().toString());
                CompletableFuture<PromQl.Result> req = client.query(p.url(), PromQl.fill(p.requests(), vars), timeout);
                CompletableFuture<PromQl.Result> err = client.query(p.url(), PromQl.fill(p.errors(), vars), timeout);
                CompletableFuture<PromQl.Result> lat = p.latency() == null ? CompletableFuture.completedFuture(null)
                        : client.query(p.url(), PromQl.fill(p.latency(), vars), timeout);
                pending.addAll(List.of(req, err, lat));
                finish.add(() -> record(service, env, h, req.join(), err.join(), lat.join(), p));
            }
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
        finish.forEach(Runnable::run);
    }

    private void record(String service, String env, HostInfo h, PromQl.Result req, PromQl.Result err, PromQl.Result lat,
                        PrometheusSettings p) {
        Instant now = clock.instant();
        HostState st = hosts.computeIfAbsent(key(service, env, h.host()), k -> new HostState());
        Instant start = st.sampleEnd == null || Duration.between(st.sampleEnd, now).toSeconds() > p.staleAfterSeconds()
                ? now.minusSeconds(p.intervalSeconds()) : st.sampleEnd;
        st.lastAttempt = now;
        st.sampleEnd = now;
        if (st.versionSince == null || !Objects.equals(st.version, h.appliedVersion())) {
            st.version = h.appliedVersion();
            st.versionSince = now;
        }
        String missing = missing("requests", req, false);
        if (missing == null) missing = missing("errors", err, false);
        if (missing == null && lat != null) missing = missing("latency", lat, true);
        if (missing != null) {
            st.lastError = missing;
            return;
        }
        double seconds = Duration.between(start, now).toMillis() / 1000.0;
        double requests = Math.max(0, ((PromQl.Value) req).value()) * seconds + st.carryRequests;
        long r = (long) Math.floor(requests);
        st.carryRequests = requests - r;
        double errors = Math.max(0, ((PromQl.Value) err).value()) * seconds + st.carryErrors;
        long e = Math.min(r, (long) Math.floor(errors));
        // errors counted before their requests (the two queries see slightly different scrapes) wait for them, boundedly
        st.carryErrors = Math.min(errors - e, 1 + requests);
        double p99 = 0;
        long latencySamples = 0;
        if (lat instanceof PromQl.Value v && !Double.isNaN(v.value())) {
            p99 = v.value() * 1000;
            latencySamples = r;
        }
        st.lastSuccess = now;
        st.lastError = null;
        // a window that still holds traffic of the previous version speaks for neither: it is data, but not counted
        if (st.versionSince.plus(p.settle()).isAfter(start)) return;
        health.report(service, env, h.host(), List.of(new HealthStore.Sample(start, now, h.appliedVersion(), r, e, p99, latencySamples)), now);
    }

    /** Why a query's answer gives no number, or null. NaN is a number only for latency (no requests: no quantile). */
    private static String missing(String what, PromQl.Result r, boolean nanAllowed) {
        if (r instanceof PromQl.NoData n) return what + " query: " + n.reason();
        if (r instanceof PromQl.Value v && Double.isNaN(v.value()) && !nanAllowed) return what + " query: the query returned NaN";
        return null;
    }

    @Override
    public Optional<String> noData(String service, String env, List<String> hostNames, Instant since) {
        PrometheusSettings p = active.get(service);
        if (p == null) return Optional.empty();
        Instant now = clock.instant();
        Duration stale = Duration.ofSeconds(p.staleAfterSeconds());
        for (String host : hostNames) {
            HostState st = hosts.get(key(service, env, host));
            if (st == null || st.lastAttempt == null || st.lastAttempt.isBefore(since)) {
                if (Duration.between(since, now).compareTo(stale) > 0) {
                    return Optional.of("no data from Prometheus for host " + host + ": not queried for " + stale.toSeconds() + " s");
                }
                continue;
            }
            if (st.lastError != null) return Optional.of("no data from Prometheus for host " + host + ": " + st.lastError);
            if (st.lastSuccess == null || Duration.between(st.lastSuccess, now).compareTo(stale) > 0) {
                return Optional.of("no data from Prometheus for host " + host + " for over " + stale.toSeconds() + " s");
            }
        }
        return Optional.empty();
    }

    /** Whether the last poll of every host of a service and environment gave data (for /metrics); null when not a source. */
    public Boolean up(String service, String env) {
        if (!active.containsKey(service)) return null;
        String prefix = service + '\0' + env + '\0';
        boolean any = false;
        for (var e : hosts.entrySet()) {
            if (!e.getKey().startsWith(prefix)) continue;
            any = true;
            if (e.getValue().lastError != null) return false;
        }
        return any;
    }

    private static String key(String service, String env, String host) {
        return service + '\0' + env + '\0' + host;
    }

    @Override
    public synchronized void close() {
        if (loop != null) loop.shutdownNow();
        loop = null;
    }
}
