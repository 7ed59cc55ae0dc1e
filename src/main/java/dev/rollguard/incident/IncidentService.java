package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.config.ConfigService;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.VersionInfo;
import dev.rollguard.health.HealthStore;
import dev.rollguard.rollout.EventRecord;
import dev.rollguard.rollout.HostInfo;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutService;
import dev.rollguard.validate.Finding;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Opens incidents on their own (automatic rollback, health breach, Alertmanager, break-glass release) or by hand,
 * keeps their timeline from the facts (rollout events, each host's first 5xx, rollback finished, traffic recovered,
 * pages sent), computes their impact from the hosts' health reports, and pages through the webhook outbox.
 * Rollout events arrive on the orchestrator thread and are handed to this service's own thread at once.
 */
public final class IncidentService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IncidentService.class);
    /** Health reports keep arriving a little after recovery; impact is recomputed this long after it. */
    private static final Duration SETTLE = Duration.ofSeconds(30);
    /** How long before a release the hosts' reports say what failed anyway (their baseline, see {@link Impact}). */
    private static final Duration BASELINE = Duration.ofSeconds(60);

    private final ConfigService config;
    private final RolloutService rollouts;
    private final IncidentStore store;
    private final Notifier notifier;
    private final Clock clock;
    private final java.util.function.Supplier<String> publicUrl;
    /** Per service/env: health samples before this instant belong to an incident already handled. */
    private final Map<String, Instant> quietUntil = new ConcurrentHashMap<>();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "incidents");
        t.setDaemon(true);
        return t;
    });
    private Instant lastHealthScan = Instant.EPOCH;

    public IncidentService(ConfigService config, RolloutService rollouts, IncidentStore store, Notifier notifier, Clock clock,
                           java.util.function.Supplier<String> publicUrl) {
        this.config = config;
        this.rollouts = rollouts;
        this.store = store;
        this.notifier = notifier;
        this.clock = clock;
        this.publicUrl = publicUrl;
        rollouts.onEvent(e -> worker.execute(() -> {
            try {
                onRolloutEvent(e);
            } catch (RuntimeException ex) {
                log.warn("incident handling of {} failed: {}", e.type(), ex.toString());
            }
        }));
        notifier.onOutcome((n, error) -> worker.execute(() -> recordDelivery(n, error)));
    }

    public IncidentStore store() { return store; }

    private volatile java.util.function.BooleanSupplier duty = () -> true;

    /** Of several servers, only the lease holder follows incidents and scans health. */
    public void runOnlyWhen(java.util.function.BooleanSupplier duty) {
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

    public List<IncidentStore.Notification> notifications(int id) {
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
        Incident i = new Incident(0, service, env, title.strip(), severity == null ? Severity.SEV3 : severity, Incident.Status.OPEN,
                Incident.Source.MANUAL, "manual:" + UUID.randomUUID(), null, null, null, commander, actor, now, now, null, null, null,
                null, null, null, now);
        int id = store.jdbi().inTransaction(h -> {
            int n = store.insert(h, i);
            store.addTimeline(h, n, now, "opened", actor, actor + " opened the incident: " + i.title(), Map.of(), "opened");
            enqueue(h, withId(i, n), "trigger", now);
            return n;
        });
        notifier.wake();
        return incident(id);
    }

    public synchronized Incident acknowledge(int id, String actor) {
        Incident i = incident(id);
        if (i.acknowledgedAt() != null) return i;
        Instant now = clock.instant();
        store.jdbi().useTransaction(h -> {
            Incident a = with(i, i.status(), i.severity(), i.detectedAt(), now, i.mitigatedAt(), i.recoveredAt(), i.resolvedAt(),
                    i.impact(), now);
            store.update(h, a);
            store.addTimeline(h, id, now, "alert_acknowledged", actor, "acknowledged by " + actor, Map.of(), "ack");
            enqueue(h, a, "acknowledge", now);
        });
        notifier.wake();
        return incident(id);
    }

    public synchronized TimelineEntry note(int id, String actor, String text) {
        incident(id);
        if (text == null || text.isBlank()) throw Problem.badRequest("note_required", "a note needs text");
        if (text.length() > 10_000) throw Problem.badRequest("note_too_long", "a note is at most 10,000 characters");
        Instant now = clock.instant();
        String ref = "note:" + UUID.randomUUID();
        store.jdbi().useTransaction(h -> store.addTimeline(h, id, now, "note", actor, text.strip(), Map.of(), ref));
        return store.timelineEntry(id, ref).orElseThrow();
    }

    public synchronized Incident resolve(int id, String actor, String note) {
        Incident i = incident(id);
        if (i.status() == Incident.Status.RESOLVED) throw Problem.conflict("already_resolved", "incident #" + id + " is already resolved");
        Instant now = clock.instant();
        store.jdbi().useTransaction(h -> {
            Incident r = with(i, Incident.Status.RESOLVED, i.severity(), i.detectedAt(), i.acknowledgedAt(),
                    i.mitigatedAt() == null ? now : i.mitigatedAt(), i.recoveredAt() == null ? now : i.recoveredAt(), now, i.impact(), now);
            store.update(h, r);
            store.addTimeline(h, id, now, "resolved", actor, "resolved by " + actor + (note == null || note.isBlank() ? "" : ": " + note.strip()),
                    Map.of(), "resolved");
            enqueue(h, r, "resolve", now);
        });
        if (i.env() != null) quietUntil.merge(i.service() + "/" + i.env(), now, (a, b) -> a.isAfter(b) ? a : b);
        notifier.wake();
        return incident(id);
    }

    /** Commander, severity or title, set by a person. */
    public synchronized Incident update(int id, String commander, Severity severity, String title, String actor) {
        Incident i = incident(id);
        Instant now = clock.instant();
        store.jdbi().useTransaction(h -> {
            Incident u = new Incident(i.id(), i.service(), i.env(), title == null || title.isBlank() ? i.title() : title.strip(),
                    severity == null ? i.severity() : severity, i.status(), i.source(), i.causeKey(), i.rolloutId(), i.fromVersion(),
                    i.toVersion(), commander == null ? i.commander() : commander.isBlank() ? null : commander, i.openedBy(), i.openedAt(),
                    i.detectedAt(), i.acknowledgedAt(), i.mitigatedAt(), i.recoveredAt(), i.resolvedAt(), i.impact(), i.analysis(), now);
            store.update(h, u);
            List<String> changes = new ArrayList<>();
            if (!Objects.equals(u.commander(), i.commander())) changes.add("commander " + (u.commander() == null ? "cleared" : "is " + u.commander()));
            if (u.severity() != i.severity()) changes.add("severity " + i.severity() + " → " + u.severity());
            if (!u.title().equals(i.title())) changes.add("title: " + u.title());
            if (!changes.isEmpty()) {
                store.addTimeline(h, id, now, "updated", actor, actor + ": " + String.join("; ", changes), Map.of(), "update:" + UUID.randomUUID());
            }
            if (u.severity() != i.severity()) triggerNewlyInterested(h, u, now, u.severity().atLeast(i.severity()));
        });
        notifier.wake();
        return incident(id);
    }

    // ------------------------------------------------------------------ action items

    public ActionItem addAction(int id, String title, String owner, String due, String actor) {
        incident(id);
        if (title == null || title.isBlank()) throw Problem.badRequest("title_required", "an action item needs a title");
        checkDue(due);
        ActionItem a = store.addAction(id, title.strip(), blankToNull(owner), blankToNull(due), clock.instant());
        store.jdbi().useTransaction(h -> store.addTimeline(h, id, a.createdAt(), "action_item", actor,
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
            java.time.LocalDate.parse(due.trim());
        } catch (java.time.format.DateTimeParseException e) {
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
                    diff = dev.rollguard.config.TreeDiff.render(config.diff(i.service(), i.fromVersion(), i.toVersion()));
                }
            } catch (Problem e) {
                log.debug("postmortem of #{} without version details: {}", i.id(), e.getMessage());
            }
        }
        Rollout rollout = i.rolloutId() == null ? null : rollouts.store().rollout(i.rolloutId()).orElse(null);
        return Postmortem.render(new Postmortem.Facts(i, store.timeline(i.id()), store.actions(i.id(), null), bad, diff, rollout,
                clock.instant(), link(i)));
    }

    // ------------------------------------------------------------------ from rollouts

    void onRolloutEvent(EventRecord e) {
        if (e.rolloutId() == null) return;
        String cause = "rollout:" + e.rolloutId();
        boolean automatic = "rollback_started".equals(e.type()) && e.message().startsWith("automatic rollback");
        boolean breakGlass = "rollout_started".equals(e.type()) && e.data() != null && e.data().get("breakGlass") != null;
        synchronized (this) {
            if (automatic || breakGlass) {
                openFromRollout(e, cause, automatic);
                return;
            }
            Incident existing = store.jdbi().withHandle(h -> store.activeByCause(h, cause)).orElse(null);
            if (existing == null && e.environment() != null) {
                // a manual rollback or a new rollout during an incident of the same environment belongs to its timeline
                existing = store.active().stream().filter(x -> x.service().equals(e.service()) && e.environment().equals(x.env()))
                        .findFirst().orElse(null);
            }
            if (existing != null) {
                int id = existing.id();
                store.jdbi().useTransaction(h -> copy(h, id, e));
            }
        }
    }

    private void openFromRollout(EventRecord e, String cause, boolean automatic) {
        Rollout r = rollouts.store().rollout(e.rolloutId()).orElse(null);
        if (r == null) return;
        Instant now = clock.instant();
        store.jdbi().useTransaction(h -> {
            Incident existing = store.activeByCause(h, cause).orElse(null);
            Incident i;
            if (existing == null) {
                Incident fresh = new Incident(0, r.service(), r.env(), title(r, e, automatic),
                        automatic ? Severity.SEV3 : Severity.SEV4, Incident.Status.OPEN,
                        automatic ? Incident.Source.ROLLBACK : Incident.Source.BREAK_GLASS, cause, r.id(), r.fromVersion(), r.toVersion(),
                        null, automatic ? "rollguard" : r.actor(), e.at(), automatic ? e.at() : null, null, null, null, null, null,
                        automatic ? e.data() : null, now);
                int id = store.insert(h, fresh);
                i = withId(fresh, id);
                store.addTimeline(h, id, e.at(), "opened", "rollguard", automatic
                        ? "incident opened by the automatic rollback" : "incident opened for review: break-glass release", Map.of(), "opened");
            } else {
                // the break-glass review becomes the outage: same cause, same incident, now a page
                i = new Incident(existing.id(), existing.service(), existing.env(), automatic ? title(r, e, true) : existing.title(),
                        automatic ? Severity.worse(existing.severity(), Severity.SEV3) : existing.severity(), existing.status(),
                        automatic ? Incident.Source.ROLLBACK : existing.source(), cause, r.id(), r.fromVersion(), r.toVersion(),
                        existing.commander(), existing.openedBy(), existing.openedAt(), automatic ? e.at() : existing.detectedAt(),
                        existing.acknowledgedAt(), existing.mitigatedAt(), existing.recoveredAt(), existing.resolvedAt(),
                        existing.impact(), automatic ? e.data() : existing.analysis(), now);
                store.update(h, i);
            }
            copyHistory(h, i, r);
            copy(h, i.id(), e);
            // a review that became an outage is news for the channels that heard of the review too
            triggerNewlyInterested(h, i, now, existing != null && automatic);
        });
        notifier.wake();
    }

    private static String title(Rollout r, EventRecord e, boolean automatic) {
        if (!automatic) return "Break-glass release of v" + r.toVersion() + " to " + r.env() + ": " + r.breakGlass();
        String reason = e.message().replaceFirst("^automatic rollback: ", "");
        return "v" + r.toVersion() + " rolled back automatically in " + r.env() + ": " + reason;
    }

    /** The version's push and findings, then every rollout event so far, each once. */
    private void copyHistory(Handle h, Incident i, Rollout r) {
        try {
            VersionInfo v = config.version(r.service(), r.toVersion());
            store.addTimeline(h, i.id(), v.createdAt(), "version_pushed", v.author(), "v" + v.number() + " pushed by " + v.author()
                    + ": " + v.message() + " (" + v.fileCount() + " files)", Map.of("version", v.number()), "version:" + v.number());
            if (v.report() != null && !v.report().findings().isEmpty()) {
                List<Finding> fs = v.report().findings();
                StringBuilder sb = new StringBuilder("validators found ").append(v.report().errors()).append(" error(s), ")
                        .append(v.report().warnings()).append(" warning(s) in v").append(v.number());
                fs.stream().limit(5).forEach(f -> sb.append("; ").append(f.render().replace("\n    ", " — ")));
                if (fs.size() > 5) sb.append("; …");
                store.addTimeline(h, i.id(), v.createdAt(), "validation_findings", "validators", sb.toString(),
                        Map.of("errors", v.report().errors(), "warnings", v.report().warnings()), "findings:" + v.number());
            }
        } catch (Problem e) {
            log.debug("no version details for incident #{}: {}", i.id(), e.getMessage());
        }
        for (EventRecord ev : rollouts.store().events(r.service(), r.id(), 500)) copy(h, i.id(), ev);
    }

    private void copy(Handle h, int incident, EventRecord e) {
        store.addTimeline(h, incident, e.at(), e.type(), e.rolloutId() == null ? "rollguard" : "rollout", e.message(),
                e.data() == null ? Map.of() : e.data(), "event:" + e.id());
    }

    // ------------------------------------------------------------------ paging

    /**
     * Sends a trigger to every channel that wants this severity and was not told yet; on an escalation, channels
     * already told get a new trigger too (PagerDuty folds it into the same alert by dedup_key, with the new severity).
     */
    private void triggerNewlyInterested(Handle h, Incident i, Instant now) {
        triggerNewlyInterested(h, i, now, false);
    }

    private void triggerNewlyInterested(Handle h, Incident i, Instant now, boolean escalated) {
        if (i.status() == Incident.Status.RESOLVED) return;
        Set<String> told = store.triggeredChannels(h, i.id());
        for (IncidentSettings.Channel c : channels(i)) {
            if (escalated && told.contains(c.name())) {
                store.enqueue(h, i.id(), c, "trigger", Webhooks.payload(c, "trigger", i, link(i)), now);
                store.addTimeline(h, i.id(), now, "alert_queued", "rollguard", "escalated to " + i.severity() + ": page updated on "
                        + c.name(), Map.of("channel", c.name()), "queued:escalate:" + c.name() + ":" + i.severity());
            } else if ((c.wants(i.severity()) || reviewNotice(i, c)) && !told.contains(c.name())) {
                store.enqueue(h, i.id(), c, "trigger", Webhooks.payload(c, "trigger", i, link(i)), now);
                store.addTimeline(h, i.id(), now, "alert_queued", "rollguard", "page queued for " + c.name() + " (" + c.kind().name().toLowerCase()
                        + ", " + i.severity() + ")", Map.of("channel", c.name()), "queued:trigger:" + c.name());
            }
        }
    }

    /**
     * A break-glass release is announced on every chat and generic channel whatever their minimum severity: the
     * team must know the pipeline was bypassed. Pagers are spared: a review is not worth waking someone for.
     */
    private static boolean reviewNotice(Incident i, IncidentSettings.Channel c) {
        return i.source() == Incident.Source.BREAK_GLASS && c.kind() != IncidentSettings.Kind.PAGERDUTY;
    }

    /** Acknowledge, mitigated and resolve go to the channels that were triggered. */
    private void enqueue(Handle h, Incident i, String action, Instant now) {
        if ("trigger".equals(action)) {
            triggerNewlyInterested(h, i, now);
            return;
        }
        Set<String> told = store.triggeredChannels(h, i.id());
        for (IncidentSettings.Channel c : channels(i)) {
            if (told.contains(c.name()) && Webhooks.supports(c.kind(), action)) {
                store.enqueue(h, i.id(), c, action, Webhooks.payload(c, action, i, link(i)), now);
            }
        }
    }

    private List<IncidentSettings.Channel> channels(Incident i) {
        try {
            return config.service(i.service()).incidents().channels();
        } catch (Problem e) {
            return List.of();
        }
    }

    private String link(Incident i) {
        String base = publicUrl.get();
        return base == null ? null : base + "/incidents/" + i.id();
    }

    private void recordDelivery(IncidentStore.Notification n, String error) {
        try {
            Instant now = clock.instant();
            store.jdbi().useTransaction(h -> {
                if (error == null) {
                    store.addTimeline(h, n.incidentId(), now, "alert_sent", n.channel(), n.action() + " delivered to " + n.channel()
                                    + " (" + n.kind().name().toLowerCase() + ")" + (n.attempts() > 0 ? " after " + (n.attempts() + 1) + " attempts" : ""),
                            Map.of("channel", n.channel(), "action", n.action(), "attempts", n.attempts() + 1), "sent:" + n.id());
                } else {
                    store.addTimeline(h, n.incidentId(), now, "alert_failed", n.channel(), n.action() + " to " + n.channel() + " failed: "
                            + error + (error.startsWith("gave up") ? "" : "; retrying with backoff"), Map.of("channel", n.channel()),
                            "failed:" + n.id() + ":" + error.startsWith("gave up"));
                }
            });
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
                follow(i, now);
            } catch (RuntimeException e) {
                log.warn("following incident #{} failed: {}", i.id(), e.toString());
            }
        }
        if (Duration.between(lastHealthScan, now).toMillis() >= 1000) {
            lastHealthScan = now;
            scanHealth(now);
        }
    }

    private synchronized void follow(Incident i, Instant now) {
        if (i.recoveredAt() != null && now.isAfter(i.recoveredAt().plus(SETTLE))) return;
        if (i.env() == null) return;
        Rollout r = i.rolloutId() == null ? null : rollouts.store().rollout(i.rolloutId()).orElse(null);
        boolean rolledBack = r != null && (r.state() == Rollout.State.ROLLED_BACK || r.state() == Rollout.State.ABORTED);
        if (r != null && !rolledBack && i.source() == Incident.Source.BREAK_GLASS) {
            // a break-glass release under review: nothing to follow until it fails or completes
            if (r.state() == Rollout.State.COMPLETE && i.recoveredAt() == null) {
                store.jdbi().useTransaction(h -> store.update(h, with(i, i.status(), i.severity(), i.detectedAt(), i.acknowledgedAt(),
                        i.mitigatedAt(), now, i.resolvedAt(), i.impact(), now)));
            }
            return;
        }
        Duration window = Duration.ofSeconds(config.service(i.service()).incidents().sloWindowSeconds());
        Instant from = r != null ? r.createdAt() : i.openedAt().minus(window);
        // a minute before the release is each host's baseline: failures it already had are not the release's
        Map<String, List<HealthStore.Sample>> samples = rollouts.health().environment(i.service(), i.env(), r != null ? from.minus(BASELINE) : from);
        Integer bad = r != null ? r.toVersion() : null;
        List<String[]> entries = new ArrayList<>();

        // each host's first 5xx, at the exact time the host saw it
        for (var e : samples.entrySet()) {
            Instant first = null;
            for (HealthStore.Sample s : e.getValue()) {
                if (s.errors() == 0 || bad != null && !bad.equals(s.version()) || s.end().isBefore(from)) continue;
                if (first == null || s.firstError().isBefore(first)) first = s.firstError();
            }
            if (first != null) entries.add(new String[]{e.getKey(), first.toString()});
        }

        Instant mitigated = i.mitigatedAt();
        Instant recovered = i.recoveredAt();
        String mitigatedHow = null;
        List<String[]> recoveries = new ArrayList<>();
        if (r != null && rolledBack && mitigated == null) {
            Duration heartbeat = Duration.ofSeconds(r.policy().heartbeatTimeoutSeconds());
            Set<String> rolloutHosts = new HashSet<>(r.hosts());
            boolean allBack = true;
            for (HostInfo h : rollouts.store().hosts(i.service(), i.env())) {
                if (!rolloutHosts.contains(h.host())) continue;
                boolean alive = h.lastSeen() != null && Duration.between(h.lastSeen(), now).compareTo(heartbeat) <= 0;
                if (alive && !Objects.equals(h.appliedVersion(), r.fromVersion())) allBack = false;
            }
            if (allBack) {
                mitigated = now;
                mitigatedHow = "rollback finished: every host of the rollout runs v" + r.fromVersion() + " again";
            }
        } else if (r == null && i.source() == Incident.Source.HEALTH && mitigated == null) {
            IncidentSettings slo = config.service(i.service()).incidents();
            double rate = errorRate(samples, now.minusSeconds(5));
            if (rate >= 0 && rate < slo.sloErrorPercent()) {
                mitigated = now;
                mitigatedHow = String.format("5xx rate back under the SLO (%.2f%% over the last 5 s, SLO %.1f%%)", rate, slo.sloErrorPercent());
            }
        }
        String mitigatedType = r != null ? "rollback_finished" : "mitigated";
        if (r != null && mitigated == null) {
            Rollout fix = FixRelease.landed(r, rollouts.store().rollouts(i.service(), i.env(), 20)).orElse(null);
            if (fix != null) {
                mitigated = fix.updatedAt();
                mitigatedType = "fix_released";
                mitigatedHow = "v" + fix.toVersion() + " released: every host of " + i.env() + " runs it";
            }
        }
        if (mitigated != null && recovered == null) {
            // traffic recovered: the share of hit hosts serving without 5xx since the mitigation started
            Instant since = r != null && i.detectedAt() != null ? i.detectedAt() : mitigated;
            int hit = 0;
            int healthy = 0;
            for (String[] e : entries) {
                hit++;
                List<HealthStore.Sample> host = samples.getOrDefault(e[0], List.of());
                boolean ok = false;
                for (int k = host.size() - 1; k >= 0; k--) {
                    HealthStore.Sample s = host.get(k);
                    if (s.start().isBefore(since)) break;
                    if (s.requests() > 0) {
                        ok = s.errors() == 0 && (r == null || !Objects.equals(s.version(), r.toVersion()));
                        break;
                    }
                }
                if (ok) healthy++;
            }
            if (hit == 0 || healthy * 10 >= hit * 9) recoveries.add(new String[]{"traffic_recovered_90",
                    "traffic recovered: " + healthy + " of " + hit + " affected host(s) healthy (≥ 90%)"});
            if (hit == 0 || healthy == hit) {
                recoveries.add(new String[]{"traffic_recovered_100", "traffic recovered: all " + hit + " affected host(s) healthy"});
                recovered = now;
            }
        }
        Impact impact = Impact.compute(samples, bad, from, recovered != null ? recovered : now, i.detectedAt(), mitigated, recovered, true);
        Severity sev = impact.requestsFailed() > 0 ? Severity.worse(i.severity(), impact.severity()) : i.severity();
        Incident.Status status = i.status() == Incident.Status.OPEN && mitigated != null ? Incident.Status.MITIGATED : i.status();
        Incident u = with(i, status, sev, i.detectedAt(), i.acknowledgedAt(), mitigated, recovered, i.resolvedAt(), impact, now);
        String how = mitigatedHow;
        String howType = mitigatedType;
        Instant m = mitigated;
        Instant rec = recovered;
        store.jdbi().useTransaction(h -> {
            for (String[] e : entries) {
                store.addTimeline(h, i.id(), Instant.parse(e[1]), "first_5xx", "host " + e[0], "first 5xx on " + e[0]
                        + (bad == null ? "" : " (serving v" + bad + ")"), Map.of("host", e[0]), "first5xx:" + e[0]);
            }
            if (how != null) {
                store.addTimeline(h, i.id(), m, howType, "rollguard", how, Map.of(), "mitigated");
            }
            for (String[] rv : recoveries) store.addTimeline(h, i.id(), rec != null && rv[0].endsWith("100") ? rec : now, rv[0], "health",
                    rv[1], Map.of(), rv[0]);
            store.update(h, u);
            if (how != null) enqueue(h, u, "mitigated", now);
            if (sev != i.severity()) triggerNewlyInterested(h, u, now, true);
        });
        if (rec != null && i.recoveredAt() == null) quietUntil.merge(i.service() + "/" + i.env(), rec, (a, b) -> a.isAfter(b) ? a : b);
        if (how != null || sev != i.severity()) notifier.wake();
    }

    /** 5xx share of every host's samples since {@code since}; -1 when there was no traffic. */
    private static double errorRate(Map<String, List<HealthStore.Sample>> samples, Instant since) {
        long req = 0;
        long err = 0;
        for (List<HealthStore.Sample> host : samples.values()) {
            for (HealthStore.Sample s : host) {
                if (s.end().isBefore(since) || s.version() == null) continue;
                req += s.requests();
                err += s.errors();
            }
        }
        return req == 0 ? -1 : 100.0 * err / req;
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
                if (rollouts.store().rollouts(service, env, 1).stream().anyMatch(r -> !r.state().terminal())) continue;
                Instant since = now.minusSeconds(slo.sloWindowSeconds());
                Instant quiet = quietUntil.get(service + "/" + env);
                if (quiet != null && quiet.isAfter(since)) since = quiet;
                Map<String, List<HealthStore.Sample>> samples = rollouts.health().environment(service, env, since);
                long req = 0;
                long err = 0;
                for (List<HealthStore.Sample> host : samples.values()) {
                    for (HealthStore.Sample s : host) {
                        // a host that never got a config is not in service yet: its failures are not an outage
                        if (s.start().isBefore(since) || s.version() == null) continue;
                        req += s.requests();
                        err += s.errors();
                    }
                }
                if (req < slo.sloMinRequests() || 100.0 * err / req < slo.sloErrorPercent()) continue;
                openHealthBreach(service, env, req, err, slo, since, now);
            }
        }
    }

    private synchronized void openHealthBreach(String service, String env, long req, long err, IncidentSettings slo, Instant since,
                                               Instant now) {
        double rate = 100.0 * err / req;
        Map<String, Object> numbers = new LinkedHashMap<>();
        numbers.put("requests", req);
        numbers.put("errors", err);
        numbers.put("errorPercent", Math.round(rate * 100) / 100.0);
        numbers.put("sloPercent", slo.sloErrorPercent());
        numbers.put("windowSeconds", slo.sloWindowSeconds());
        String title = String.format("5xx rate %.1f%% in %s over the last %d s (SLO %.1f%%)", rate, env, slo.sloWindowSeconds(),
                slo.sloErrorPercent());
        String cause = "health:" + service + "/" + env;
        store.jdbi().useTransaction(h -> {
            if (store.activeByCause(h, cause).isPresent()) return;
            Incident fresh = new Incident(0, service, env, title, Severity.fromPeakPercent(rate), Incident.Status.OPEN, Incident.Source.HEALTH,
                    cause, null, null, null, null, "rollguard", now, now, null, null, null, null, null, numbers, now);
            int id = store.insert(h, fresh);
            store.addTimeline(h, id, now, "health_breach", "health", "health breach: " + err + " of " + req + " requests failed since "
                    + since + " (" + numbers.get("errorPercent") + "%, SLO " + slo.sloErrorPercent() + "%)", numbers, "breach");
            triggerNewlyInterested(h, withId(fresh, id), now);
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
        store.jdbi().useTransaction(h -> {
            for (Alertmanager.Alert a : p.alerts()) {
                String cause = "alertmanager:" + a.service() + "/" + a.env() + "/" + a.name();
                Incident i = store.activeByCause(h, cause).orElse(null);
                if (i == null && !a.firing()) continue;
                if (i == null) {
                    Incident fresh = new Incident(0, a.service(), a.env(), a.summary() == null ? "Alert " + a.name() + " firing" : a.summary(),
                            a.severity(), Incident.Status.OPEN, Incident.Source.ALERTMANAGER, cause, null, null, null, null, actor, now,
                            now, null, null, null, null, null, Map.of("labels", a.labels()), now);
                    i = withId(fresh, store.insert(h, fresh));
                    store.addTimeline(h, i.id(), now, "opened", "alertmanager", "incident opened by Alertmanager alert " + a.name(), Map.of(),
                            "opened");
                    triggerNewlyInterested(h, i, now);
                }
                String ref = "alert:" + a.fingerprint() + ":" + a.startsAt() + ":" + (a.firing() ? "firing" : "resolved");
                Instant at = a.firing() ? a.startsAt() : a.endsAt() != null ? a.endsAt() : now;
                store.addTimeline(h, i.id(), at, a.firing() ? "alert_firing" : "alert_resolved", "alertmanager",
                        "Alertmanager: " + a.name() + " " + (a.firing() ? "firing" : "resolved") + (a.summary() == null ? "" : " — " + a.summary()),
                        Map.of("labels", a.labels()), ref);
                if (!a.firing() && i.status() == Incident.Status.OPEN) {
                    Incident m = with(i, Incident.Status.MITIGATED, i.severity(), i.detectedAt(), i.acknowledgedAt(), at, at, null,
                            i.impact(), now);
                    store.update(h, m);
                    enqueue(h, m, "mitigated", now);
                }
                if (!ids.contains(i.id())) ids.add(i.id());
            }
        });
        notifier.wake();
        return ids;
    }

    // ------------------------------------------------------------------ helpers

    private static Incident withId(Incident i, int id) {
        return new Incident(id, i.service(), i.env(), i.title(), i.severity(), i.status(), i.source(), i.causeKey(), i.rolloutId(),
                i.fromVersion(), i.toVersion(), i.commander(), i.openedBy(), i.openedAt(), i.detectedAt(), i.acknowledgedAt(),
                i.mitigatedAt(), i.recoveredAt(), i.resolvedAt(), i.impact(), i.analysis(), i.updatedAt());
    }

    private static Incident with(Incident i, Incident.Status status, Severity severity, Instant detected, Instant acknowledged,
                                 Instant mitigated, Instant recovered, Instant resolved, Impact impact, Instant now) {
        return new Incident(i.id(), i.service(), i.env(), i.title(), severity, status, i.source(), i.causeKey(), i.rolloutId(),
                i.fromVersion(), i.toVersion(), i.commander(), i.openedBy(), i.openedAt(), detected, acknowledged, mitigated, recovered,
                resolved, impact, i.analysis(), now);
    }
}
