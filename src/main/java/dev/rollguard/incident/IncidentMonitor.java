package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.config.IncidentSettings;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.health.Counts;
import dev.rollguard.health.HealthStore;
import dev.rollguard.rollout.HostInfo;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutService;
import dev.rollguard.versions.ConfigService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Follows every open incident until it recovers (its impact, its recovery, a break-glass review's end) and watches each
 * environment outside rollouts and incidents for a health breach, on its own thread ("incidents"), which also runs what
 * the {@link IncidentIntake} is handed from other threads.
 */
final class IncidentMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IncidentMonitor.class);

    private final ConfigService config;
    private final RolloutService rollouts;
    private final HealthStore health;
    private final IncidentStore store;
    private final IncidentLedger ledger;
    private final Clock clock;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "incidents");
        t.setDaemon(true);
        return t;
    });
    private Instant lastHealthScan = Instant.EPOCH;
    private volatile BooleanSupplier duty = () -> true;

    IncidentMonitor(ConfigService config, RolloutService rollouts, HealthStore health, IncidentStore store, IncidentLedger ledger,
                    Clock clock) {
        this.config = config;
        this.rollouts = rollouts;
        this.health = health;
        this.store = store;
        this.ledger = ledger;
        this.clock = clock;
    }

    /** Of several servers, only the lease holder follows incidents and scans health. */
    void runOnlyWhen(BooleanSupplier duty) {
        this.duty = duty;
    }

    void start(Duration tick) {
        worker.scheduleWithFixedDelay(() -> {
            try {
                if (duty.getAsBoolean()) pass();
            } catch (RuntimeException e) {
                log.warn("incident monitor pass failed: {}", e.toString());
            }
        }, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs {@code work} on the monitor's thread: incident work from other threads (the orchestrator's) waits there. */
    void hand(String what, Runnable work) {
        worker.execute(() -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                log.warn("incident handling of {} failed: {}", what, e.toString());
            }
        });
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One pass: follow every open incident's recovery and impact, and look for health breaches. */
    void pass() {
        Instant now = clock.instant();
        for (Incident i : store.active()) {
            try {
                follow(i.id());
            } catch (RuntimeException e) {
                log.warn("following incident #{} failed: {}", i.id(), e.toString());
            }
        }
        if (Duration.between(lastHealthScan, now).toMillis() >= 1000) {
            lastHealthScan = now;
            scanHealth(now);
        }
    }

    private void follow(int id) {
        synchronized (ledger) {
            // read again under the lock: a person may have resolved or changed the incident since the pass listed it, and a
            // step from that older copy would write the older state back (a resolved incident open again)
            Incident i = store.incident(id).orElse(null);
            Instant now = clock.instant();
            if (i == null || i.status() == Incident.Status.RESOLVED || !IncidentMachine.following(i, now)) return;
            Rollout r = i.rolloutId() == null ? null : rollouts.find(i.rolloutId()).orElse(null);
            IncidentMachine.Step s = IncidentMachine.followReview(i, r, now);
            if (s == null) {
                IncidentSettings slo = config.service(i.service()).incidents();
                Map<String, List<HealthStore.Sample>> samples = health.samplesByHost(i.service(), i.env(),
                        IncidentMachine.samplesNeededSince(i, r, slo));
                List<HostInfo> hosts = r == null ? List.of() : rollouts.hosts(i.service(), i.env());
                List<Rollout> releases = r == null || i.mitigatedAt() != null ? List.of() : rollouts.rollouts(i.service(), i.env(), 20);
                s = IncidentMachine.follow(i, r, hosts, samples, slo, now, releases);
            }
            ledger.commit(i, s, now);
        }
    }

    /** A health breach outside any rollout and any open incident of the environment opens an incident. */
    private void scanHealth(Instant now) {
        List<Incident> active = store.active();
        for (String service : config.services()) {
            ServiceSpec spec;
            try {
                spec = config.service(service);
            } catch (Problem e) {
                continue;
            }
            IncidentSettings slo = spec.incidents();
            for (String env : spec.environments()) {
                if (active.stream().anyMatch(x -> x.service().equals(service) && env.equals(x.env()))) continue;
                if (rollouts.running(service, env)) continue;
                Instant since = now.minusSeconds(slo.sloWindowSeconds());
                Instant quiet = ledger.quietUntil(service, env);
                if (quiet != null && quiet.isAfter(since)) since = quiet;
                Map<String, List<HealthStore.Sample>> samples = health.samplesByHost(service, env, since);
                Counts counts = Counts.of(samples, Counts.startedSince(since).and(Counts.inService()));
                IncidentMachine.Step breach = IncidentMachine.healthBreach(service, env, counts, slo, since, now);
                if (breach != null) open(breach, now);
            }
        }
    }

    private void open(IncidentMachine.Step breach, Instant now) {
        synchronized (ledger) {
            ledger.transaction(tx -> tx.activeByCause(breach.incident().causeKey()).isPresent() ? null : tx.execute(null, breach), now);
        }
    }
}
