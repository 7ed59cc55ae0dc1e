package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.rollout.EventRecord;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutService;
import dev.rollguard.storage.Transactions;
import dev.rollguard.storage.Tx;
import dev.rollguard.validate.Finding;
import dev.rollguard.versions.ConfigService;
import dev.rollguard.versions.VersionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The one executor of incident decisions: stores an {@link IncidentMachine.Step} (the incident, inserted or updated)
 * and runs its effects in the same transaction, then wakes the notifier if it paged. Whoever reads an incident to
 * decide on it holds this ledger's lock until the step is committed, so a decision never writes back an older copy.
 */
final class IncidentLedger {
    private static final Logger log = LoggerFactory.getLogger(IncidentLedger.class);

    private final Transactions db;
    private final ConfigService config;
    private final RolloutService rollouts;
    private final IncidentStore store;
    private final Notifier notifier;
    private final Pager pager;
    /** Per service/env: health samples before this instant belong to an incident already handled. */
    private final Map<String, Instant> quietUntil = new ConcurrentHashMap<>();

    IncidentLedger(Transactions db, ConfigService config, RolloutService rollouts, IncidentStore store, Notifier notifier, Pager pager) {
        this.db = db;
        this.config = config;
        this.rollouts = rollouts;
        this.store = store;
        this.notifier = notifier;
        this.pager = pager;
    }

    /** What one transaction of the ledger may do: read the active incident of a cause, and execute steps. */
    interface Batch {
        Optional<Incident> activeByCause(String causeKey);

        /** Stores the step's incident and runs its effects; the incident as stored. */
        Incident execute(Incident before, IncidentMachine.Step step);
    }

    /** Stores a step and executes its effects in one transaction. */
    synchronized Incident commit(Incident before, IncidentMachine.Step s, Instant now) {
        return transaction(b -> b.execute(before, s), now);
    }

    /** Runs {@code work} in one transaction, then wakes the notifier if a step it executed paged. */
    synchronized <T> T transaction(Function<Batch, T> work, Instant now) {
        boolean[] paged = {false};
        T result = db.inTransaction(tx -> work.apply(new Batch() {
            public Optional<Incident> activeByCause(String causeKey) {
                return store.activeByCause(tx, causeKey);
            }

            public Incident execute(Incident before, IncidentMachine.Step step) {
                if (step.effects().stream().anyMatch(e -> e instanceof IncidentMachine.Effect.Trigger || e instanceof IncidentMachine.Effect.Page)) {
                    paged[0] = true;
                }
                return IncidentLedger.this.execute(tx, before, step, now);
            }
        }));
        if (paged[0]) notifier.wake();
        return result;
    }

    /** Health samples before this instant, in an environment, belong to an incident already handled (null: none). */
    Instant quietUntil(String service, String env) {
        return quietUntil.get(service + "/" + env);
    }

    /** A timeline line on its own (a webhook's outcome). */
    void line(int incident, IncidentMachine.Effect.Line l) {
        db.useTransaction(tx -> line(tx, incident, l));
    }

    /** Inserts the step's incident if it is new (id 0) or updates it if it changed; then its effects, in order. */
    private Incident execute(Tx tx, Incident before, IncidentMachine.Step s, Instant now) {
        Incident i = s.incident();
        if (i.id() == 0) {
            i = i.withId(store.insert(tx, i));
        } else if (!i.equals(before)) {
            store.update(tx, i);
        }
        for (IncidentMachine.Effect e : s.effects()) {
            if (e instanceof IncidentMachine.Effect.Line l) {
                line(tx, i.id(), l);
            } else if (e instanceof IncidentMachine.Effect.Trigger t) {
                pager.page(tx, i, PageAction.TRIGGER, t.escalated(), now);
            } else if (e instanceof IncidentMachine.Effect.Page p) {
                pager.page(tx, i, p.action(), false, now);
            } else if (e instanceof IncidentMachine.Effect.Quiet q && i.env() != null) {
                quietUntil.merge(i.service() + "/" + i.env(), q.until(), (a, b) -> a.isAfter(b) ? a : b);
            } else if (e instanceof IncidentMachine.Effect.CopyRolloutHistory c) {
                copyHistory(tx, i, c.rollout());
            }
        }
        return i;
    }

    /** The version's push and findings, then every rollout event so far, each once. */
    private void copyHistory(Tx tx, Incident i, Rollout r) {
        try {
            VersionInfo v = config.version(r.service(), r.toVersion());
            store.addTimeline(tx, i.id(), v.createdAt(), TimelineType.VERSION_PUSHED.wire(), v.author(), "v" + v.number() + " pushed by " + v.author()
                    + ": " + v.message() + " (" + v.fileCount() + " files)", new TimelineData.Version(v.number()), "version:" + v.number());
            if (v.report() != null && !v.report().findings().isEmpty()) {
                List<Finding> fs = v.report().findings();
                StringBuilder sb = new StringBuilder("validators found ").append(v.report().errors()).append(" error(s), ")
                        .append(v.report().warnings()).append(" warning(s) in v").append(v.number());
                fs.stream().limit(5).forEach(f -> sb.append("; ").append(f.render().replace("\n    ", " — ")));
                if (fs.size() > 5) sb.append("; …");
                store.addTimeline(tx, i.id(), v.createdAt(), TimelineType.VALIDATION_FINDINGS.wire(), "validators", sb.toString(),
                        new TimelineData.Findings(v.report().errors(), v.report().warnings()), "findings:" + v.number());
            }
        } catch (Problem e) {
            log.debug("no version details for incident #{}: {}", i.id(), e.getMessage());
        }
        for (EventRecord ev : rollouts.events(r.service(), r.id(), 500)) line(tx, i.id(), IncidentMachine.copy(ev));
    }

    private void line(Tx tx, int incident, IncidentMachine.Effect.Line l) {
        store.addTimeline(tx, incident, l.at(), l.type(), l.actor(), l.message(), l.data(), l.ref());
    }
}
