package dev.rollguard.rollout;

import dev.rollguard.config.Limits;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.health.HealthStore;
import dev.rollguard.protocol.HealthSample;
import dev.rollguard.secrets.TestSealers;
import dev.rollguard.storage.Database;
import dev.rollguard.validate.Validation;
import dev.rollguard.versions.ConfigService;
import dev.rollguard.versions.ConfigStore;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * The rollout slice wired as the server wires it, on a SQLite file and a clock the test moves: no HTTP, no agents, no
 * orchestrator thread (the test calls {@link Orchestrator#tick()}).
 */
public final class RolloutWorld implements AutoCloseable {
    public static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");

    /** A clock that stands still until the test moves it. */
    public static final class ManualClock extends Clock {
        private volatile Instant now = T0;

        public void advance(Duration d) { now = now.plus(d); }
        @Override public Instant instant() { return now; }
        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
    }

    public final ManualClock clock = new ManualClock();
    public final Database db;
    public final ConfigService config;
    public final RolloutStore store;
    public final HealthStore health = new HealthStore();
    public final HostSignals signals = new HostSignals();
    public final HostRegistry registry;
    public final Observations observations;
    public final Orchestrator orchestrator;
    public final RolloutService rollouts;

    public RolloutWorld(Path dir) {
        db = Database.sqlite(dir.resolve("rg.db"));
        config = new ConfigService(new ConfigStore(db.jdbi(), TestSealers.fresh()), Validation.builtIn(), Limits.DEFAULT, clock);
        store = new RolloutStore(db.jdbi());
        registry = new HostRegistry(config, store, health, signals, clock);
        observations = new Observations(store, health, clock);
        orchestrator = new Orchestrator(db, config, store, signals, observations, clock);
        // one server on SQLite, as the server sets it: its ticks read again only the hosts that changed
        orchestrator.soleWriter(true);
        rollouts = new RolloutService(config, store, health, orchestrator, observations, clock);
    }

    /** A service "wp" (testing, production) with {@code versions} versions pushed. */
    public RolloutWorld service(ServiceSpec spec, int versions) {
        config.putService("wp", spec);
        for (int v = 1; v <= versions; v++) config.push("wp", Map.of("a.conf", "v" + v + "\n"), "alice", "v" + v, v == 1 ? null : v - 1, null);
        return this;
    }

    /** A host's report of what it runs, with one second of healthy traffic on it; waits for the report to commit. */
    public Integer report(String env, String host, Integer applied) {
        Instant now = clock.instant();
        List<HealthSample> samples = applied == null ? List.of()
                : List.of(new HealthSample(now.minusSeconds(1), now, applied, 50, 0, 10, 50, null, null));
        return registry.report("wp", env, host, applied, null, null, null, samples).join();
    }

    @Override
    public void close() {
        orchestrator.close();
        registry.close();
        db.close();
    }
}
