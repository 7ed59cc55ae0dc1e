package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.rollout.EventRecord;
import dev.rollguard.rollout.PostedEvent;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutEvent;
import dev.rollguard.rollout.RolloutService;
import dev.rollguard.versions.ConfigService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What opens incidents from outside: the rollouts' typed events (an automatic rollback or a break-glass release opens
 * one; any other event of an incident's rollout or environment joins its timeline), Alertmanager's alerts, and the
 * webhooks' delivery outcomes. Decides with {@link IncidentMachine}, commits through the {@link IncidentLedger}.
 */
final class IncidentIntake {
    private static final Logger log = LoggerFactory.getLogger(IncidentIntake.class);

    private final ConfigService config;
    private final RolloutService rollouts;
    private final IncidentStore store;
    private final IncidentLedger ledger;
    private final Clock clock;

    IncidentIntake(ConfigService config, RolloutService rollouts, IncidentStore store, IncidentLedger ledger, Clock clock) {
        this.config = config;
        this.rollouts = rollouts;
        this.store = store;
        this.ledger = ledger;
        this.clock = clock;
    }

    /** The incident cause of a rollout's event, if the event opens one on its own. */
    static Optional<RolloutCause> cause(PostedEvent posted) {
        if (posted.event() instanceof RolloutEvent.RollbackStarted rb && rb.automatic()) {
            return Optional.of(new RolloutCause.AutomaticRollback(posted.line(), rb));
        }
        if (posted.event() instanceof RolloutEvent.Started started && started.breakGlass() != null) {
            return Optional.of(new RolloutCause.BreakGlassRelease(posted.line(), started));
        }
        return Optional.empty();
    }

    void rolloutEvent(PostedEvent posted) {
        EventRecord e = posted.line();
        if (e.rolloutId() == null) return;
        String causeKey = "rollout:" + e.rolloutId();
        synchronized (ledger) {
            Optional<RolloutCause> cause = cause(posted);
            if (cause.isPresent()) {
                open(cause.get(), causeKey);
                return;
            }
            Incident existing = ledger.transaction(tx -> tx.activeByCause(causeKey), clock.instant()).orElse(null);
            if (existing == null && e.env() != null) {
                // a manual rollback or a new rollout during an incident of the same environment belongs to its timeline
                existing = store.active().stream().filter(x -> x.service().equals(e.service()) && e.env().equals(x.env()))
                        .findFirst().orElse(null);
            }
            if (existing != null) ledger.commit(existing, IncidentMachine.rolloutEvent(existing, e), clock.instant());
        }
    }

    private void open(RolloutCause cause, String causeKey) {
        Rollout r = rollouts.find(cause.line().rolloutId()).orElse(null);
        if (r == null) return;
        Instant now = clock.instant();
        ledger.transaction(tx -> {
            Incident existing = tx.activeByCause(causeKey).orElse(null);
            return tx.execute(existing, IncidentMachine.rolloutIncident(existing, r, cause, causeKey, now));
        }, now);
    }

    /** Firing alerts open (or join) one incident per service, environment and alert name; resolved ones mitigate it. */
    List<Integer> alertmanager(Alertmanager.Payload p, String actor) {
        for (Alertmanager.Alert a : p.alerts()) {
            ServiceSpec spec = config.service(a.service());
            if (a.env() != null && !spec.environments().contains(a.env())) {
                throw Problem.notFound("unknown_environment", a.service() + " has no environment '" + a.env() + "'");
            }
        }
        synchronized (ledger) {
            Instant now = clock.instant();
            return ledger.transaction(tx -> {
                List<Integer> ids = new ArrayList<>();
                for (Alertmanager.Alert a : p.alerts()) {
                    Incident existing = tx.activeByCause(IncidentMachine.alertCause(a)).orElse(null);
                    IncidentMachine.Step s = IncidentMachine.alert(existing, a, actor, now);
                    if (s == null) continue;
                    Incident i = tx.execute(existing, s);
                    if (!ids.contains(i.id())) ids.add(i.id());
                }
                return ids;
            }, now);
        }
    }

    /** A webhook's outcome, on its incident's timeline. */
    void delivery(Notifier.Outcome outcome) {
        try {
            ledger.line(outcome.notification().incidentId(), IncidentMachine.delivery(outcome, clock.instant()));
        } catch (RuntimeException e) {
            log.warn("could not record webhook outcome: {}", e.toString());
        }
    }
}
