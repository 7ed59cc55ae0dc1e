package dev.rollguard.incident;

import dev.rollguard.config.IncidentSettings;
import dev.rollguard.config.Severity;
import dev.rollguard.health.Counts;
import dev.rollguard.health.HealthStore;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.rollout.EventRecord;
import dev.rollguard.rollout.HostInfo;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutEvent;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Incidents decided as a pure function: {@code (incident, fact, now) -> (incident', effects)}, like
 * {@code rollout/RolloutMachine}. {@link IncidentService} loads what a decision needs, asks here, then stores the
 * incident (inserting it when its id is 0) and executes the effects in one transaction.
 */
public final class IncidentMachine {
    /** Health reports keep arriving a little after recovery; impact is recomputed this long after it. */
    static final Duration SETTLE = Duration.ofSeconds(30);
    /** How long before a release the hosts' reports say what failed anyway: their baseline (see {@link Impact}). */
    static final Duration BASELINE = Duration.ofSeconds(60);

    /** What the service must do besides storing the incident: data, so every transition is tested without I/O. */
    public sealed interface Effect {
        /** A line on the incident's timeline; {@code ref} makes it idempotent (a second line with the same ref is dropped). */
        record Line(Instant at, String type, String actor, String message, TimelineData data, String ref) implements Effect {}

        /**
         * Page every channel that wants the incident's severity and was not told yet; when {@code escalated}, channels
         * already told get a new trigger with the new severity.
         */
        record Trigger(boolean escalated) implements Effect {}

        /** Tell the channels already triggered (acknowledge, mitigated, resolve). */
        record Page(PageAction action) implements Effect {}

        /** Health samples of the incident's environment before {@code until} belong to this incident, not to a new one. */
        record Quiet(Instant until) implements Effect {}

        /** Copy the version's push and findings and every event of the rollout so far onto the timeline. */
        record CopyRolloutHistory(Rollout rollout) implements Effect {}
    }

    public record Step(Incident incident, List<Effect> effects) {
        public Step {
            effects = List.copyOf(effects);
        }
    }

    private IncidentMachine() {}

    // ------------------------------------------------------------------ by hand

    /** A person opens an incident. */
    public static Step open(String service, String env, String title, Severity severity, String commander, String actor, String causeKey,
                            Instant now) {
        Incident i = Incident.opened(service, env, title.strip(), severity == null ? Severity.SEV3 : severity, Incident.Source.MANUAL,
                causeKey, actor, now).withCommander(commander);
        return new Step(i, List.of(line(now, TimelineType.OPENED, actor, actor + " opened the incident: " + i.title(), "opened"),
                new Effect.Trigger(false)));
    }

    /** Someone took the page; a second acknowledgement changes nothing. */
    public static Step acknowledge(Incident i, String actor, Instant now) {
        if (i.acknowledgedAt() != null) return new Step(i, List.of());
        return new Step(i.withAcknowledgedAt(now).withUpdatedAt(now), List.of(
                line(now, TimelineType.ALERT_ACKNOWLEDGED, actor, "acknowledged by " + actor, "ack"), new Effect.Page(PageAction.ACKNOWLEDGE)));
    }

    /** @throws IllegalStateException if the incident is already resolved */
    public static Step resolve(Incident i, String actor, String note, Instant now) {
        if (i.status() == Incident.Status.RESOLVED) throw new IllegalStateException("incident #" + i.id() + " is already resolved");
        Incident r = i.withStatus(Incident.Status.RESOLVED).withMitigatedAt(i.mitigatedAt() == null ? now : i.mitigatedAt())
                .withRecoveredAt(i.recoveredAt() == null ? now : i.recoveredAt()).withResolvedAt(now).withUpdatedAt(now);
        List<Effect> effects = new ArrayList<>();
        effects.add(line(now, TimelineType.RESOLVED, actor, "resolved by " + actor + (note == null || note.isBlank() ? "" : ": " + note.strip()),
                "resolved"));
        effects.add(new Effect.Page(PageAction.RESOLVE));
        if (i.env() != null) effects.add(new Effect.Quiet(now));
        return new Step(r, effects);
    }

    /** Commander, severity or title set by a person (null: unchanged; a blank commander clears it). */
    public static Step update(Incident i, String commander, Severity severity, String title, String actor, String ref, Instant now) {
        Incident u = i.withTitle(title == null || title.isBlank() ? i.title() : title.strip())
                .withSeverity(severity == null ? i.severity() : severity)
                .withCommander(commander == null ? i.commander() : commander.isBlank() ? null : commander).withUpdatedAt(now);
        List<String> changes = new ArrayList<>();
        if (!Objects.equals(u.commander(), i.commander())) changes.add("commander " + (u.commander() == null ? "cleared" : "is " + u.commander()));
        if (u.severity() != i.severity()) changes.add("severity " + i.severity() + " → " + u.severity());
        if (!u.title().equals(i.title())) changes.add("title: " + u.title());
        List<Effect> effects = new ArrayList<>();
        if (!changes.isEmpty()) effects.add(line(now, TimelineType.UPDATED, actor, actor + ": " + String.join("; ", changes), ref));
        if (u.severity() != i.severity()) effects.add(new Effect.Trigger(u.severity().atLeast(i.severity())));
        return new Step(u, effects);
    }

    public static Step note(Incident i, String actor, String text, String ref, Instant now) {
        return new Step(i, List.of(line(now, TimelineType.NOTE, actor, text.strip(), ref)));
    }

    // ------------------------------------------------------------------ from rollouts

    /** A preflight that stopped the version before any host served it says so first: its impact is nil. */
    static String rollbackTitle(Rollout r, String reason, RolloutEvent.HostFailed hostFailed) {
        if (hostFailed != null && hostFailed.failure().stage() == AgentProtocol.Stage.PREFLIGHT && hostFailed.neverServed()) {
            return "v" + r.toVersion() + " caught in preflight in " + r.env() + ", 0 requests failed: host " + hostFailed.host() + ": "
                    + hostFailed.failure().message();
        }
        return "v" + r.toVersion() + " rolled back automatically in " + r.env() + ": " + reason;
    }

    /**
     * An automatic rollback (with the analysis' reason and numbers, or the host's failure it acted on) or a break-glass
     * release opens an incident for the rollout; one already open for it ({@code existing}) takes it on.
     */
    public static Step rolloutIncident(Incident existing, Rollout r, RolloutCause cause, String causeKey, Instant now) {
        EventRecord e = cause.line();
        boolean automatic = cause instanceof RolloutCause.AutomaticRollback;
        RolloutEvent.HostFailed caught = cause instanceof RolloutCause.AutomaticRollback rb ? rb.rollback().cause() : null;
        String title = automatic ? rollbackTitle(r, ((RolloutCause.AutomaticRollback) cause).rollback().reason(), caught)
                : "Break-glass release of v" + r.toVersion() + " to " + r.env() + ": " + r.breakGlass();
        List<Effect> effects = new ArrayList<>();
        Incident i;
        if (existing == null) {
            i = Incident.opened(r.service(), r.env(), title, automatic ? Severity.SEV3 : Severity.SEV4,
                            automatic ? Incident.Source.ROLLBACK : Incident.Source.BREAK_GLASS, causeKey, automatic ? "rollguard" : r.actor(), now)
                    .withRollout(r.id(), r.fromVersion(), r.toVersion()).withOpenedAt(e.at()).withDetectedAt(automatic ? e.at() : null)
                    .withAnalysis(automatic ? new IncidentAnalysis.Rollback(e.data()) : null).withCaught(caught);
            effects.add(line(e.at(), TimelineType.OPENED, "rollguard", automatic ? "incident opened by the automatic rollback"
                    : "incident opened for review: break-glass release", "opened"));
        } else if (automatic) {
            // the break-glass review becomes the outage: same cause, same incident, now a page
            i = existing.withTitle(title).withSeverity(Severity.worse(existing.severity(), Severity.SEV3)).withSource(Incident.Source.ROLLBACK)
                    .withRollout(r.id(), r.fromVersion(), r.toVersion()).withDetectedAt(e.at()).withAnalysis(new IncidentAnalysis.Rollback(e.data())).withCaught(caught).withUpdatedAt(now);
        } else {
            i = existing.withRollout(r.id(), r.fromVersion(), r.toVersion()).withUpdatedAt(now);
        }
        effects.add(new Effect.CopyRolloutHistory(r));
        effects.add(copy(e));
        // a review that became an outage is news for the channels that heard of the review too
        effects.add(new Effect.Trigger(existing != null && automatic));
        return new Step(i, effects);
    }

    /** Any other rollout event of an incident's rollout or environment: a line on its timeline. */
    public static Step rolloutEvent(Incident i, EventRecord e) {
        return new Step(i, List.of(copy(e)));
    }

    /** A rollout event as a timeline line, once (by the event's id). */
    public static Effect.Line copy(EventRecord e) {
        return new Effect.Line(e.at(), e.type(), e.rolloutId() == null ? "rollguard" : "rollout", e.message(),
                e.data() == null || e.data().isEmpty() ? TimelineData.NONE : new TimelineData.Copied(e.data()), "event:" + e.id());
    }

    // ------------------------------------------------------------------ following an incident

    /** Whether the monitor still follows the incident: until its recovery settled, and only with an environment. */
    public static boolean following(Incident i, Instant now) {
        return i.env() != null && (i.recoveredAt() == null || !now.isAfter(i.recoveredAt().plus(SETTLE)));
    }

    /**
     * A break-glass release under review has nothing to follow until it fails or completes; its completion is its
     * recovery. Null when the incident is not such a review.
     */
    public static Step followReview(Incident i, Rollout r, Instant now) {
        if (r == null || rolledBack(r) || i.source() != Incident.Source.BREAK_GLASS) return null;
        if (r.state() == Rollout.State.COMPLETE && i.recoveredAt() == null) return new Step(i.withRecoveredAt(now).withUpdatedAt(now), List.of());
        return new Step(i, List.of());
    }

    /** Samples from here on count for the incident: from the rollout's start, else one SLO window before it opened. */
    public static Instant samplesSince(Incident i, Rollout r, IncidentSettings slo) {
        return r != null ? r.createdAt() : i.openedAt().minusSeconds(slo.sloWindowSeconds());
    }

    /** The samples {@link #follow} needs: for a release, also a minute before it, each host's baseline. */
    public static Instant samplesNeededSince(Incident i, Rollout r, IncidentSettings slo) {
        return r != null ? samplesSince(i, r, slo).minus(BASELINE) : samplesSince(i, r, slo);
    }

    /**
     * One look at an open incident: each host's first 5xx, the mitigation (rollback finished on every live host of the
     * rollout, a later release of a fixed version complete, or the 5xx rate back under the SLO), traffic recovered (90 %
     * and all of the hit hosts serving without 5xx), the impact so far (only what the release caused) and the severity
     * it implies.
     *
     * @param r       the incident's rollout, or null
     * @param hosts   the environment's hosts (only read for a rolled-back rollout)
     * @param samples the environment's samples since {@link #samplesNeededSince}
     * @param releases the environment's latest rollouts (a fix released after the incident's rollout mitigates it)
     */
    public static Step follow(Incident i, Rollout r, List<HostInfo> hosts, Map<String, List<HealthStore.Sample>> samples,
                              IncidentSettings slo, Instant now, List<Rollout> releases) {
        boolean rolledBack = r != null && rolledBack(r);
        Instant from = samplesSince(i, r, slo);
        Integer bad = r != null ? r.toVersion() : null;
        List<Effect> effects = new ArrayList<>();

        Map<String, Instant> firstErrors = firstErrors(samples, bad, from);
        firstErrors.forEach((host, at) -> effects.add(new Effect.Line(at, TimelineType.FIRST_5XX.wire(), "host " + host, "first 5xx on " + host
                + (bad == null ? "" : " (serving v" + bad + ")"), new TimelineData.Host(host), "first5xx:" + host)));

        Instant mitigated = i.mitigatedAt();
        Instant recovered = i.recoveredAt();
        String mitigatedHow = null;
        if (r != null && rolledBack && mitigated == null) {
            if (allBack(r, hosts, now)) {
                mitigated = now;
                mitigatedHow = "rollback finished: every host of the rollout runs v" + r.fromVersion() + " again";
            }
        } else if (r == null && i.source() == Incident.Source.HEALTH && mitigated == null) {
            double rate = Counts.of(samples, Counts.endedSince(now.minusSeconds(5)).and(Counts.inService())).errorPercent();
            if (rate >= 0 && rate < slo.sloErrorPercent()) {
                mitigated = now;
                mitigatedHow = String.format("5xx rate back under the SLO (%.2f%% over the last 5 s, SLO %.1f%%)", rate, slo.sloErrorPercent());
            }
        }
        TimelineType mitigatedType = r != null ? TimelineType.ROLLBACK_FINISHED : TimelineType.MITIGATED;
        if (r != null && mitigated == null) {
            Rollout fix = FixRelease.landed(r, releases).orElse(null);
            if (fix != null) {
                mitigated = fix.updatedAt();
                mitigatedType = TimelineType.FIX_RELEASED;
                mitigatedHow = "v" + fix.toVersion() + " released: every host of " + r.env() + " runs it";
            }
        }
        if (mitigatedHow != null) {
            effects.add(new Effect.Line(mitigated, mitigatedType.wire(), "rollguard", mitigatedHow, TimelineData.NONE, "mitigated"));
        }
        if (mitigated != null && recovered == null) {
            // traffic recovered: the share of hit hosts serving without 5xx since the mitigation started
            Instant since = r != null && i.detectedAt() != null ? i.detectedAt() : mitigated;
            int hit = firstErrors.size();
            int healthy = 0;
            for (String host : firstErrors.keySet()) {
                if (servesWell(samples.getOrDefault(host, List.of()), since, r)) healthy++;
            }
            if (hit == 0 || healthy * 10 >= hit * 9) {
                effects.add(line(now, TimelineType.TRAFFIC_RECOVERED_90, "health",
                        "traffic recovered: " + healthy + " of " + hit + " affected host(s) healthy (≥ 90%)", "traffic_recovered_90"));
            }
            if (hit == 0 || healthy == hit) {
                recovered = now;
                effects.add(line(now, TimelineType.TRAFFIC_RECOVERED_100, "health", "traffic recovered: all " + hit + " affected host(s) healthy",
                        "traffic_recovered_100"));
            }
        }
        Impact impact = Impact.compute(samples, bad, from, recovered != null ? recovered : now, i.detectedAt(), mitigated, recovered, true);
        Severity sev = impact.requestsFailed() > 0 ? Severity.worse(i.severity(), impact.severity()) : i.severity();
        Incident.Status status = i.status() == Incident.Status.OPEN && mitigated != null ? Incident.Status.MITIGATED : i.status();
        Incident u = i.withStatus(status).withSeverity(sev).withMitigatedAt(mitigated).withRecoveredAt(recovered).withImpact(impact)
                .withUpdatedAt(now);
        if (mitigatedHow != null) effects.add(new Effect.Page(PageAction.MITIGATED));
        if (sev != i.severity()) effects.add(new Effect.Trigger(true));
        if (recovered != null && i.recoveredAt() == null) effects.add(new Effect.Quiet(recovered));
        return new Step(u, effects);
    }

    /** {@link #follow} without later releases to look at. */
    public static Step follow(Incident i, Rollout r, List<HostInfo> hosts, Map<String, List<HealthStore.Sample>> samples,
                              IncidentSettings slo, Instant now) {
        return follow(i, r, hosts, samples, slo, now, List.of());
    }

    private static boolean rolledBack(Rollout r) {
        return r.state() == Rollout.State.ROLLED_BACK || r.state() == Rollout.State.ABORTED;
    }

    /** Each host's first 5xx since {@code from} (on the bad version, if there is one), at the exact time the host saw it. */
    private static Map<String, Instant> firstErrors(Map<String, List<HealthStore.Sample>> samples, Integer bad, Instant from) {
        Map<String, Instant> out = new LinkedHashMap<>();
        for (var e : samples.entrySet()) {
            Instant first = null;
            for (HealthStore.Sample s : e.getValue()) {
                if (s.errors() == 0 || bad != null && !bad.equals(s.version()) || s.end().isBefore(from)) continue;
                if (first == null || s.firstError().isBefore(first)) first = s.firstError();
            }
            if (first != null) out.put(e.getKey(), first);
        }
        return out;
    }

    /** Every live host of the rollout runs the old version again (silent hosts cannot say, and do not hold it up). */
    private static boolean allBack(Rollout r, List<HostInfo> hosts, Instant now) {
        Duration heartbeat = r.policy().heartbeatTimeout();
        Set<String> rolloutHosts = new HashSet<>(r.hosts());
        for (HostInfo h : hosts) {
            if (!rolloutHosts.contains(h.host())) continue;
            if (h.alive(now, heartbeat) && !Objects.equals(h.appliedVersion(), r.fromVersion())) return false;
        }
        return true;
    }

    /** The host's latest sample with traffic since {@code since} had no 5xx and was not on the bad version. */
    private static boolean servesWell(List<HealthStore.Sample> host, Instant since, Rollout r) {
        for (int k = host.size() - 1; k >= 0; k--) {
            HealthStore.Sample s = host.get(k);
            if (s.start().isBefore(since)) return false;
            if (s.requests() > 0) return s.errors() == 0 && (r == null || !Objects.equals(s.version(), r.toVersion()));
        }
        return false;
    }

    // ------------------------------------------------------------------ health breaches and alerts

    /**
     * The environment's in-service traffic since {@code since} against its SLO: an incident when enough requests failed,
     * else null.
     */
    public static Step healthBreach(String service, String env, Counts counts, IncidentSettings slo, Instant since, Instant now) {
        long req = counts.requests();
        long err = counts.errors();
        if (req < slo.sloMinRequests() || 100.0 * err / req < slo.sloErrorPercent()) return null;
        double rate = 100.0 * err / req;
        IncidentAnalysis.SloBreach numbers = new IncidentAnalysis.SloBreach(req, err, Math.round(rate * 100) / 100.0, slo.sloErrorPercent(),
                slo.sloWindowSeconds());
        String title = String.format("5xx rate %.1f%% in %s over the last %d s (SLO %.1f%%)", rate, env, slo.sloWindowSeconds(),
                slo.sloErrorPercent());
        Incident fresh = Incident.opened(service, env, title, Severity.fromPeakPercent(rate), Incident.Source.HEALTH, healthCause(service, env),
                "rollguard", now).withAnalysis(numbers);
        return new Step(fresh, List.of(new Effect.Line(now, TimelineType.HEALTH_BREACH.wire(), "health", "health breach: " + err + " of " + req
                        + " requests failed since " + since + " (" + numbers.errorPercent() + "%, SLO " + slo.sloErrorPercent() + "%)",
                numbers, "breach"), new Effect.Trigger(false)));
    }

    public static String healthCause(String service, String env) {
        return "health:" + service + "/" + env;
    }

    public static String alertCause(Alertmanager.Alert a) {
        return "alertmanager:" + a.service() + "/" + a.env() + "/" + a.name();
    }

    /**
     * A firing alert opens (or joins) the incident of its cause; a resolved one mitigates it. Null when a resolved
     * alert has no open incident.
     */
    public static Step alert(Incident existing, Alertmanager.Alert a, String actor, Instant now) {
        if (existing == null && !a.firing()) return null;
        List<Effect> effects = new ArrayList<>();
        Incident i = existing;
        if (i == null) {
            i = Incident.opened(a.service(), a.env(), a.summary() == null ? "Alert " + a.name() + " firing" : a.summary(), a.severity(),
                    Incident.Source.ALERTMANAGER, alertCause(a), actor, now).withAnalysis(new IncidentAnalysis.Alert(a.labels()));
            effects.add(line(now, TimelineType.OPENED, "alertmanager", "incident opened by Alertmanager alert " + a.name(), "opened"));
            effects.add(new Effect.Trigger(false));
        }
        String ref = "alert:" + a.fingerprint() + ":" + a.startsAt() + ":" + (a.firing() ? "firing" : "resolved");
        Instant at = a.firing() ? a.startsAt() : a.endsAt() != null ? a.endsAt() : now;
        effects.add(new Effect.Line(at, (a.firing() ? TimelineType.ALERT_FIRING : TimelineType.ALERT_RESOLVED).wire(), "alertmanager",
                "Alertmanager: " + a.name() + " " + (a.firing() ? "firing" : "resolved") + (a.summary() == null ? "" : " — " + a.summary()),
                new IncidentAnalysis.Alert(a.labels()), ref));
        if (!a.firing() && i.status() == Incident.Status.OPEN) {
            i = i.withStatus(Incident.Status.MITIGATED).withMitigatedAt(at).withRecoveredAt(at).withResolvedAt(null).withUpdatedAt(now);
            effects.add(new Effect.Page(PageAction.MITIGATED));
        }
        return new Step(i, effects);
    }

    // ------------------------------------------------------------------ pages

    /** A webhook's outcome as a line on its incident's timeline. */
    public static Effect.Line delivery(Notifier.Outcome outcome, Instant now) {
        Notification n = outcome.notification();
        if (outcome instanceof Notifier.Outcome.Failed f) {
            return new Effect.Line(now, TimelineType.ALERT_FAILED.wire(), n.channel(), n.action() + " to " + n.channel() + " failed: "
                    + (f.gaveUp() ? "gave up: " + f.error() : f.error() + "; retrying with backoff"), new TimelineData.Channel(n.channel()),
                    "failed:" + n.id() + ":" + f.gaveUp());
        }
        return new Effect.Line(now, TimelineType.ALERT_SENT.wire(), n.channel(), n.action() + " delivered to " + n.channel() + " ("
                + n.kind().name().toLowerCase() + ")" + (n.attempts() > 0 ? " after " + (n.attempts() + 1) + " attempts" : ""),
                new TimelineData.Delivered(n.channel(), n.action(), n.attempts() + 1), "sent:" + n.id());
    }

    private static Effect.Line line(Instant at, TimelineType type, String actor, String message, String ref) {
        return new Effect.Line(at, type.wire(), actor, message, TimelineData.NONE, ref);
    }
}
