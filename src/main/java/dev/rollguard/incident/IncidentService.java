package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.config.IncidentSettings;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.Severity;
import dev.rollguard.config.TreeDiff;
import dev.rollguard.health.Counts;
import dev.rollguard.health.HealthStore;
import dev.rollguard.rollout.EventRecord;
import dev.rollguard.rollout.HostInfo;
import dev.rollguard.rollout.PostedEvent;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutEvent;
import dev.rollguard.rollout.RolloutService;
import dev.rollguard.validate.Finding;
import dev.rollguard.versions.ConfigService;
import dev.rollguard.versions.VersionInfo;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Incidents: opened on their own (automatic rollback, health breach, Alertmanager, break-glass release) or by hand,
 * followed until they recover, paged through the webhook outbox. Every change is load, ask {@link IncidentMachine},
 * commit the incident and its effects in one transaction. Rollout events arrive on the orchestrator thread and are
 * handed to this service's own thread at once.
 */
public final class IncidentService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IncidentService.class);

    private final ConfigService config;
    private final RolloutService rollouts;
    private final HealthStore health;
    private final IncidentStore store;
    private final Notifier notifier;
    private final Pager pager;
    private final Clock clock;
    /** Per service/env: health samples before this instant belong to an incident already handled. */
    private final Map<String, Instant> quietUntil = new ConcurrentHashMap<>();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "incidents");
        t.setDaemon(true);
        return t;
    });
    private Instant lastHealthScan = Instant.EPOCH;
    private volatile BooleanSupplier duty = () -> true;

    public IncidentService(ConfigService config, RolloutService rollouts, HealthStore health, IncidentStore store, Notifier notifier, Clock clock,
                           Supplier<String> publicUrl) {
        this.config = config;
        this.rollouts = rollouts;
        this.health = health;
        this.store = store;
        this.notifier = notifier;
        this.pager = new Pager(config, store, publicUrl);
        this.clock = clock;
        rollouts.onEvent(e -> worker.execute(() -> {
            try {
                onRolloutEvent(e);
            } catch (RuntimeException ex) {
                log.warn("incident handling of {} failed: {}", e.event().kind(), ex.toString());
            }
        }));
        notifier.onOutcome(o -> worker.execute(() -> recordDelivery(o)));
    }

    /** Of several servers, only the lease holder follows incidents and scans health. */
    public void runOnlyWhen(BooleanSupplier duty) {
        this.duty = duty;
    }

    public void start(Duration tick) {
        worker.scheduleWithFixedDelay(() -> {
            try {
                if (duty.getAsBoolean()) monitor();
            } catch (RuntimeException e) {
                log.warn("incident monitor pass failed: {}", e.toString());
            }
        }, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
        notifier.start();
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        notifier.close();
    }

    // ------------------------------------------------------------------ reading

    public Incident incident(int id) {
        return store.incident(id).orElseThrow(() -> Problem.notFound("unknown_incident", "no incident #" + id));
    }

    public Optional<Incident> find(int id) {
        return store.incident(id);
    }

    /** The incident an action item belongs to, if both exist. */
    public Optional<Incident> incidentOfAction(int actionId) {
        return store.action(actionId).flatMap(a -> store.incident(a.incidentId()));
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

    // ------------------------------------------------------------------ by hand

    public synchronized Incident open(String service, String env, String title, Severity severity, String commander, String actor) {
        ServiceSpec spec = config.service(service);
        if (env != null && !spec.environments().contains(env)) {
            throw Problem.notFound("unknown_environment", service + " has no environment '" + env + "'");
        }
        if (title == null || title.isBlank()) throw Problem.badRequest("title_required", "an incident needs a title");
        Instant now = clock.instant();
        IncidentMachine.Step s = IncidentMachine.open(service, env, title, severity, commander, actor, "manual:" + UUID.randomUUID(), now);
        return incident(commit(null, s, now).id());
    }

    public synchronized Incident acknowledge(int id, String actor) {
        Incident i = incident(id);
        Instant now = clock.instant();
        commit(i, IncidentMachine.acknowledge(i, actor, now), now);
        return incident(id);
    }

    public synchronized TimelineEntry note(int id, String actor, String text) {
        Incident i = incident(id);
        if (text == null || text.isBlank()) throw Problem.badRequest("note_required", "a note needs text");
        if (text.length() > 10_000) throw Problem.badRequest("note_too_long", "a note is at most 10,000 characters");
        Instant now = clock.instant();
        String ref = "note:" + UUID.randomUUID();
        commit(i, IncidentMachine.note(i, actor, text, ref, now), now);
        return store.timelineEntry(id, ref).orElseThrow();
    }

    public synchronized Incident resolve(int id, String actor, String note) {
        Incident i = incident(id);
        Instant now = clock.instant();
        IncidentMachine.Step s;
        try {
            s = IncidentMachine.resolve(i, actor, note, now);
        } catch (IllegalStateException e) {
            throw Problem.conflict("already_resolved", e.getMessage());
        }
        commit(i, s, now);
        return incident(id);
    }

    /** Commander, severity or title, set by a person. */
    public synchronized Incident update(int id, String commander, Severity severity, String title, String actor) {
        Incident i = incident(id);
        Instant now = clock.instant();
        commit(i, IncidentMachine.update(i, commander, severity, title, actor, "update:" + UUID.randomUUID(), now), now);
        return incident(id);
    }

    // ------------------------------------------------------------------ action items

    public ActionItem addAction(int id, String title, String owner, String due, String actor) {
        incident(id);
        if (title == null || title.isBlank()) throw Problem.badRequest("title_required", "an action item needs a title");
        checkDue(due);
        ActionItem a = store.addAction(id, title.strip(), blankToNull(owner), blankToNull(due), clock.instant());
        store.useTransaction(h -> store.addTimeline(h, id, a.createdAt(), TimelineType.ACTION_ITEM.wire(), actor,
                "action item #" + a.id() + " added: " + a.title() + (a.owner() == null ? "" : " (owner " + a.owner() + ")"), Map.of(),
                "action:" + a.id()));
        return a;
    }

    public ActionItem updateAction(int actionId, String title, String owner, String due, String status) {
        ActionItem a = store.action(actionId).orElseThrow(() -> Problem.notFound("unknown_action", "no action item #" + actionId));
        checkDue(due);
        ActionItem.Status s = a.status();
        if (status != null) {
            try {
                s = ActionItem.Status.valueOf(status.trim().toUpperCase());
            } catch (IllegalArgumentException e) {
                throw Problem.badRequest("invalid_status", "action item status must be open, done or wontfix, not '" + status + "'");
            }
        }
        Instant now = clock.instant();
        return store.updateAction(new ActionItem(a.id(), a.incidentId(), title == null || title.isBlank() ? a.title() : title.strip(),
                owner == null ? a.owner() : blankToNull(owner), due == null ? a.due() : blankToNull(due), s, a.createdAt(), now,
                s == ActionItem.Status.OPEN ? null : a.doneAt() == null ? now : a.doneAt()));
    }

    public List<ActionItem> actions(Integer incident, String status) {
        if (incident != null) incident(incident);
        String s = status == null ? null : status.trim().toUpperCase();
        if (s != null && !Set.of("OPEN", "DONE", "WONTFIX").contains(s)) {
            throw Problem.badRequest("invalid_status", "action item status must be open, done or wontfix, not '" + status + "'");
        }
        return store.actions(incident, s);
    }

    private static void checkDue(String due) {
        if (due == null || due.isBlank()) return;
        try {
            LocalDate.parse(due.trim());
        } catch (DateTimeParseException e) {
            throw Problem.badRequest("invalid_due", "due must be a date like 2026-12-31, not '" + due + "'");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    // ------------------------------------------------------------------ postmortem

    /** The saved postmortem if someone edited it, else a fresh draft from the facts. */
    public String postmortem(int id, boolean fresh) {
        Incident i = incident(id);
        if (!fresh) {
            var saved = store.postmortem(id);
            if (saved.isPresent()) return saved.get().markdown();
        }
        return draft(i);
    }

    /** Whether someone saved an edited postmortem (else it is drafted from the facts). */
    public boolean postmortemSaved(int id) {
        return store.postmortem(id).isPresent();
    }

    public void savePostmortem(int id, String markdown, String actor) {
        incident(id);
        if (markdown == null || markdown.isBlank()) throw Problem.badRequest("postmortem_empty", "a postmortem needs text");
        store.savePostmortem(id, markdown, actor, clock.instant());
    }

    String draft(Incident i) {
        VersionInfo bad = null;
        String diff = null;
        if (i.toVersion() != null) {
            try {
                bad = config.version(i.service(), i.toVersion());
                if (i.fromVersion() != null) {
                    diff = TreeDiff.render(config.diff(i.service(), i.fromVersion(), i.toVersion()));
                }
            } catch (Problem e) {
                log.debug("postmortem of #{} without version details: {}", i.id(), e.getMessage());
            }
        }
        Rollout rollout = i.rolloutId() == null ? null : rollouts.find(i.rolloutId()).orElse(null);
        return Postmortem.render(new Postmortem.Facts(i, store.timeline(i.id()), store.actions(i.id(), null), bad, diff, rollout,
                clock.instant(), pager.link(i)));
    }

    // ------------------------------------------------------------------ from rollouts

    void onRolloutEvent(PostedEvent posted) {
        EventRecord e = posted.line();
        if (e.rolloutId() == null) return;
        String cause = "rollout:" + e.rolloutId();
        synchronized (this) {
            if (posted.event() instanceof RolloutEvent.RollbackStarted rb && rb.automatic()) {
                openFromRollout(e, cause, rb.reason(), rb.cause());
                return;
            }
            if (posted.event() instanceof RolloutEvent.Started started && started.breakGlass() != null) {
                openFromRollout(e, cause, null, null);
                return;
            }
            Incident existing = store.inTransaction(h -> store.activeByCause(h, cause)).orElse(null);
            if (existing == null && e.env() != null) {
                // a manual rollback or a new rollout during an incident of the same environment belongs to its timeline
                existing = store.active().stream().filter(x -> x.service().equals(e.service()) && e.env().equals(x.env()))
                        .findFirst().orElse(null);
            }
            if (existing != null) commit(existing, IncidentMachine.rolloutEvent(existing, e), clock.instant());
        }
    }

    /** An automatic rollback (with the analysis' {@code rollbackReason}) or, when that is null, a break-glass release. */
    private void openFromRollout(EventRecord e, String cause, String rollbackReason, RolloutEvent.HostFailed hostFailed) {
        Rollout r = rollouts.find(e.rolloutId()).orElse(null);
        if (r == null) return;
        Instant now = clock.instant();
        store.useTransaction(h -> {
            Incident existing = store.activeByCause(h, cause).orElse(null);
            execute(h, existing, IncidentMachine.rolloutIncident(existing, r, e, rollbackReason, hostFailed, cause, now), now);
        });
        notifier.wake();
    }

    /** The version's push and findings, then every rollout event so far, each once. */
    private void copyHistory(Handle h, Incident i, Rollout r) {
        try {
            VersionInfo v = config.version(r.service(), r.toVersion());
            store.addTimeline(h, i.id(), v.createdAt(), TimelineType.VERSION_PUSHED.wire(), v.author(), "v" + v.number() + " pushed by " + v.author()
                    + ": " + v.message() + " (" + v.fileCount() + " files)", Map.of("version", v.number()), "version:" + v.number());
            if (v.report() != null && !v.report().findings().isEmpty()) {
                List<Finding> fs = v.report().findings();
                StringBuilder sb = new StringBuilder("validators found ").append(v.report().errors()).append(" error(s), ")
                        .append(v.report().warnings()).append(" warning(s) in v").append(v.number());
                fs.stream().limit(5).forEach(f -> sb.append("; ").append(f.render().replace("\n    ", " — ")));
                if (fs.size() > 5) sb.append("; …");
                store.addTimeline(h, i.id(), v.createdAt(), TimelineType.VALIDATION_FINDINGS.wire(), "validators", sb.toString(),
                        Map.of("errors", v.report().errors(), "warnings", v.report().warnings()), "findings:" + v.number());
            }
        } catch (Problem e) {
            log.debug("no version details for incident #{}: {}", i.id(), e.getMessage());
        }
        for (EventRecord ev : rollouts.events(r.service(), r.id(), 500)) line(h, i.id(), IncidentMachine.copy(ev));
    }

    private void recordDelivery(Notifier.Outcome outcome) {
        try {
            IncidentMachine.Effect.Line l = IncidentMachine.delivery(outcome, clock.instant());
            store.useTransaction(h -> line(h, outcome.notification().incidentId(), l));
        } catch (RuntimeException e) {
            log.warn("could not record webhook outcome: {}", e.toString());
        }
    }

    // ------------------------------------------------------------------ the monitor

    /** One pass: follow every open incident's recovery and impact, and look for health breaches. */
    void monitor() {
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

    private synchronized void follow(int id) {
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
        commit(i, s, now);
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
                if (rollouts.rollouts(service, env, 1).stream().anyMatch(r -> !r.state().terminal())) continue;
                Instant since = now.minusSeconds(slo.sloWindowSeconds());
                Instant quiet = quietUntil.get(service + "/" + env);
                if (quiet != null && quiet.isAfter(since)) since = quiet;
                Map<String, List<HealthStore.Sample>> samples = health.samplesByHost(service, env, since);
                Counts counts = Counts.of(samples, Counts.startedSince(since).and(Counts.inService()));
                IncidentMachine.Step s = IncidentMachine.healthBreach(service, env, counts, slo, since, now);
                if (s != null) openHealthBreach(s, now);
            }
        }
    }

    private synchronized void openHealthBreach(IncidentMachine.Step breach, Instant now) {
        store.useTransaction(h -> {
            if (store.activeByCause(h, breach.incident().causeKey()).isPresent()) return;
            execute(h, null, breach, now);
        });
        notifier.wake();
    }

    // ------------------------------------------------------------------ Alertmanager

    /** Firing alerts open (or join) one incident per service, environment and alert name; resolved ones mitigate it. */
    public synchronized List<Integer> alertmanager(Alertmanager.Payload p, String actor) {
        Instant now = clock.instant();
        List<Integer> ids = new ArrayList<>();
        for (Alertmanager.Alert a : p.alerts()) {
            ServiceSpec spec = config.service(a.service());
            if (a.env() != null && !spec.environments().contains(a.env())) {
                throw Problem.notFound("unknown_environment", a.service() + " has no environment '" + a.env() + "'");
            }
        }
        store.useTransaction(h -> {
            for (Alertmanager.Alert a : p.alerts()) {
                Incident existing = store.activeByCause(h, IncidentMachine.alertCause(a)).orElse(null);
                IncidentMachine.Step s = IncidentMachine.alert(existing, a, actor, now);
                if (s == null) continue;
                Incident i = execute(h, existing, s, now);
                if (!ids.contains(i.id())) ids.add(i.id());
            }
        });
        notifier.wake();
        return ids;
    }

    // ------------------------------------------------------------------ committing a decision

    /** Stores a step and executes its effects in one transaction, then wakes the notifier if it paged. */
    private Incident commit(Incident before, IncidentMachine.Step s, Instant now) {
        Incident after = store.inTransaction(h -> execute(h, before, s, now));
        if (s.effects().stream().anyMatch(e -> e instanceof IncidentMachine.Effect.Trigger || e instanceof IncidentMachine.Effect.Page)) {
            notifier.wake();
        }
        return after;
    }

    /** Inserts the step's incident if it is new (id 0) or updates it if it changed; then its effects, in order. */
    private Incident execute(Handle h, Incident before, IncidentMachine.Step s, Instant now) {
        Incident i = s.incident();
        if (i.id() == 0) {
            i = i.withId(store.insert(h, i));
        } else if (!i.equals(before)) {
            store.update(h, i);
        }
        for (IncidentMachine.Effect e : s.effects()) {
            if (e instanceof IncidentMachine.Effect.Line l) {
                line(h, i.id(), l);
            } else if (e instanceof IncidentMachine.Effect.Trigger t) {
                pager.trigger(h, i, now, t.escalated());
            } else if (e instanceof IncidentMachine.Effect.Page p) {
                pager.page(h, i, p.action(), now);
            } else if (e instanceof IncidentMachine.Effect.Quiet q && i.env() != null) {
                quietUntil.merge(i.service() + "/" + i.env(), q.until(), (a, b) -> a.isAfter(b) ? a : b);
            } else if (e instanceof IncidentMachine.Effect.CopyRolloutHistory c) {
                copyHistory(h, i, c.rollout());
            }
        }
        return i;
    }

    private void line(Handle h, int incident, IncidentMachine.Effect.Line l) {
        store.addTimeline(h, incident, l.at(), l.type(), l.actor(), l.message(), l.data(), l.ref());
    }
}
