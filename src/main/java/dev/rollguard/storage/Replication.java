package dev.rollguard.storage;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.rollguard.Json;
import dev.rollguard.health.HealthStore;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * What several servers on one PostgreSQL share beyond the tables: desired-version changes, pushed with
 * LISTEN/NOTIFY so an agent long-polling server B hears of a release started on server A at once; and the agents'
 * health reports, copied between servers through a table so whichever server holds the orchestrator lease sees
 * every host.
 */
public final class Replication implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Replication.class);
    private static final String CHANNEL = "rollguard_desired";
    private static final Duration KEEP = Duration.ofMinutes(15);
    private static final TypeReference<List<HealthStore.Sample>> SAMPLES = new TypeReference<>() {};

    /** A desired-version change: hosts → version, or null hosts for "re-read the environment". */
    public record Change(String origin, String service, String env, Map<String, Integer> hosts) {}

    private final Database database;
    private final Clock clock;
    private final String origin;
    private final Map<String, Long> seen = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private Thread listener;
    private Thread copier;
    private long since;

    public Replication(Database database, Clock clock, String origin) {
        this.database = database;
        this.clock = clock;
        this.origin = origin;
        this.since = clock.millis() - 5000;
    }

    public String origin() { return origin; }

    // ------------------------------------------------------------------ desired versions

    /** Tells the other servers; a payload over PostgreSQL's 8000-byte limit becomes "re-read the environment". */
    public void announce(String service, String env, Map<String, Integer> hosts) {
        String payload = Json.write(new Change(origin, service, env, hosts));
        if (payload.length() > 7500) payload = Json.write(new Change(origin, service, env, null));
        String p = payload;
        try {
            database.jdbi().useHandle(h -> h.createQuery("SELECT pg_notify(:c, :p)").bind("c", CHANNEL).bind("p", p).mapToMap().list());
        } catch (RuntimeException e) {
            // the others fall back to their long-poll timeout re-read: slower, never wrong
            log.warn("could not announce a desired-version change: {}", e.toString());
        }
    }

    /** Listens for the other servers' changes on a connection of its own; reconnects when PostgreSQL restarts. */
    public void listen(Consumer<Change> onChange) {
        listener = new Thread(() -> {
            while (running) {
                try (Connection c = database.dataSource().getConnection()) {
                    try (Statement s = c.createStatement()) {
                        s.execute("LISTEN " + CHANNEL);
                    }
                    PGConnection pg = c.unwrap(PGConnection.class);
                    while (running) {
                        PGNotification[] ns = pg.getNotifications(500);
                        if (ns == null) continue;
                        for (PGNotification n : ns) {
                            try {
                                Change ch = Json.read(n.getParameter(), Change.class);
                                if (!origin.equals(ch.origin())) onChange.accept(ch);
                            } catch (RuntimeException e) {
                                log.warn("ignored a malformed change notification: {}", e.toString());
                            }
                        }
                    }
                } catch (Exception e) {
                    if (!running) return;
                    log.warn("change listener lost its connection ({}); reconnecting", e.toString());
                    sleep(1000);
                }
            }
        }, "pg-listen");
        listener.setDaemon(true);
        listener.start();
    }

    // ------------------------------------------------------------------ health samples

    public void publish(String service, String env, String host, List<HealthStore.Sample> samples) {
        if (samples == null || samples.isEmpty()) return;
        try {
            database.jdbi().useHandle(h -> h.createUpdate("INSERT INTO health_samples (id, origin, received_at, service, environment, host, sample) "
                            + "VALUES (:id, :o, :at, :s, :e, :h, :j)").bind("id", UUID.randomUUID().toString()).bind("o", origin)
                    .bind("at", clock.millis()).bind("s", service).bind("e", env).bind("h", host).bind("j", Json.write(samples)).execute());
        } catch (RuntimeException e) {
            log.warn("could not share a health report: {}", e.toString());
        }
    }

    /** Copies the other servers' health reports into {@code local} every 200 ms, and prunes old ones. */
    public void copyInto(HealthStore local, BooleanSupplier pruneDuty) {
        copier = new Thread(() -> {
            long lastPrune = 0;
            while (running) {
                try {
                    long from = since - 2000;
                    long max = since;
                    for (Map<String, Object> row : database.jdbi().withHandle(h -> h.createQuery("SELECT id, received_at, service, environment, host, "
                            + "sample FROM health_samples WHERE received_at >= :from AND origin <> :o ORDER BY received_at")
                            .bind("from", from).bind("o", origin).mapToMap().list())) {
                        String id = (String) row.get("id");
                        long at = ((Number) row.get("received_at")).longValue();
                        max = Math.max(max, at);
                        if (seen.putIfAbsent(id, at) != null) continue;
                        local.add((String) row.get("service"), (String) row.get("environment"), (String) row.get("host"),
                                Json.read((String) row.get("sample"), SAMPLES), clock.instant());
                    }
                    since = max;
                    long cutoff = since - 10_000;
                    seen.values().removeIf(t -> t < cutoff);
                    if (clock.millis() - lastPrune > 30_000 && pruneDuty.getAsBoolean()) {
                        lastPrune = clock.millis();
                        database.jdbi().useHandle(h -> h.createUpdate("DELETE FROM health_samples WHERE received_at < :t")
                                .bind("t", clock.millis() - KEEP.toMillis()).execute());
                    }
                } catch (RuntimeException e) {
                    if (!running) return;
                    log.warn("copying health reports failed: {}", e.toString());
                }
                sleep(200);
            }
        }, "health-copy");
        copier.setDaemon(true);
        copier.start();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        for (Thread t : new Thread[]{listener, copier}) {
            if (t == null) continue;
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
