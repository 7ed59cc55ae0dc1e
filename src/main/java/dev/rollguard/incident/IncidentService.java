package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.Severity;
import dev.rollguard.health.HealthStore;
import dev.rollguard.rollout.RolloutService;
import dev.rollguard.storage.Transactions;
import dev.rollguard.versions.ConfigService;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Incidents, as commands and queries: opened by hand, acknowledged, noted, updated, resolved, and read. Every change is
 * load, ask {@link IncidentMachine}, commit through the {@link IncidentLedger}. Incidents also open on their own
 * ({@link IncidentIntake}: rollouts, alerts) and are followed until they recover ({@link IncidentMonitor}); follow-ups
 * are {@link ActionItems} and {@link Postmortems}.
 */
public final class IncidentService implements AutoCloseable {
    private final ConfigService config;
    private final IncidentStore store;
    private final Notifier notifier;
    private final Clock clock;
    private final IncidentLedger ledger;
    private final IncidentIntake intake;
    private final IncidentMonitor monitor;
    private final ActionItems actions;
    private final Postmortems postmortems;

    public IncidentService(Transactions db, ConfigService config, RolloutService rollouts, HealthStore health, IncidentStore store,
                           Notifier notifier, Clock clock, Supplier<String> publicUrl) {
        this.config = config;
        this.store = store;
        this.notifier = notifier;
        this.clock = clock;
        Pager pager = new Pager(config, store, publicUrl);
        this.ledger = new IncidentLedger(db, config, rollouts, store, notifier, pager);
        this.intake = new IncidentIntake(config, rollouts, store, ledger, clock);
        this.monitor = new IncidentMonitor(config, rollouts, health, store, ledger, clock);
        this.actions = new ActionItems(db, store, clock);
        this.postmortems = new Postmortems(config, rollouts, store, pager, clock);
        // rollout events arrive on the orchestrator's thread: handed to the incidents' own at once
        rollouts.onEvent(e -> monitor.hand(e.event().kind().wire(), () -> intake.rolloutEvent(e)));
        notifier.onOutcome(o -> monitor.hand("a webhook outcome", () -> intake.delivery(o)));
    }

    /** Of several servers, only the lease holder follows incidents and scans health. */
    public void runOnlyWhen(BooleanSupplier duty) {
        monitor.runOnlyWhen(duty);
    }

    public void start(Duration tick) {
        monitor.start(tick);
        notifier.start();
    }

    @Override
    public void close() {
        monitor.close();
        notifier.close();
    }

    public ActionItems actions() { return actions; }
    public Postmortems postmortems() { return postmortems; }

    /** One monitor pass, now (the server runs them on the monitor's thread). */
    void monitor() {
        monitor.pass();
    }

    public Incident incident(int id) {
        return store.incident(id).orElseThrow(() -> Problem.notFound("unknown_incident", "no incident #" + id));
    }

    public Optional<Incident> find(int id) {
        return store.incident(id);
    }

    public List<Incident> incidents(String service, String status, int limit) {
        String s = null;
        if (status != null) {
            try {
                s = Incident.Status.valueOf(status.toUpperCase()).name();
            } catch (IllegalArgumentException e) {
                throw Problem.badRequest("invalid_status", "status must be open, mitigated or resolved, not '" + status + "'");
            }
        }
        return store.list(service, s, limit);
    }

    public List<TimelineEntry> timeline(int id) {
        incident(id);
        return store.timeline(id);
    }

    public List<Notification> notifications(int id) {
        incident(id);
        return store.notifications(id);
    }

    public Incident open(String service, String env, String title, Severity severity, String commander, String actor) {
        ServiceSpec spec = config.service(service);
        if (env != null && !spec.environments().contains(env)) {
            throw Problem.notFound("unknown_environment", service + " has no environment '" + env + "'");
        }
        if (title == null || title.isBlank()) throw Problem.badRequest("title_required", "an incident needs a title");
        Instant now = clock.instant();
        IncidentMachine.Step s = IncidentMachine.open(service, env, title, severity, commander, actor, "manual:" + UUID.randomUUID(), now);
        return incident(ledger.commit(null, s, now).id());
    }

    public Incident acknowledge(int id, String actor) {
        synchronized (ledger) {
            Incident i = incident(id);
            Instant now = clock.instant();
            ledger.commit(i, IncidentMachine.acknowledge(i, actor, now), now);
            return incident(id);
        }
    }

    public TimelineEntry note(int id, String actor, String text) {
        if (text == null || text.isBlank()) throw Problem.badRequest("note_required", "a note needs text");
        if (text.length() > 10_000) throw Problem.badRequest("note_too_long", "a note is at most 10,000 characters");
        String ref = "note:" + UUID.randomUUID();
        synchronized (ledger) {
            Incident i = incident(id);
            Instant now = clock.instant();
            ledger.commit(i, IncidentMachine.note(i, actor, text, ref, now), now);
        }
        return store.timelineEntry(id, ref).orElseThrow();
    }

    public Incident resolve(int id, String actor, String note) {
        synchronized (ledger) {
            Incident i = incident(id);
            Instant now = clock.instant();
            IncidentMachine.Step s;
            try {
                s = IncidentMachine.resolve(i, actor, note, now);
            } catch (IllegalStateException e) {
                throw Problem.conflict("already_resolved", e.getMessage());
            }
            ledger.commit(i, s, now);
            return incident(id);
        }
    }

    /** Commander, severity or title, set by a person. */
    public Incident update(int id, String commander, Severity severity, String title, String actor) {
        synchronized (ledger) {
            Incident i = incident(id);
            Instant now = clock.instant();
            ledger.commit(i, IncidentMachine.update(i, commander, severity, title, actor, "update:" + UUID.randomUUID(), now), now);
            return incident(id);
        }
    }

    /** Firing alerts open (or join) one incident per service, environment and alert name; resolved ones mitigate it. */
    public List<Integer> alertmanager(Alertmanager.Payload p, String actor) {
        return intake.alertmanager(p, actor);
    }
}
