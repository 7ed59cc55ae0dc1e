package dev.rollguard.incident;

import dev.rollguard.config.Severity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The pager puts what Paging decides in the outbox, in the caller's transaction; it decides nothing itself. */
class PagerTest {
    @Test
    void aTriggerIsQueuedOncePerChannelAndLaterActionsGoToTheChannelsTold(@TempDir Path dir) {
        try (IncidentWorld w = new IncidentWorld(dir)) {
            queuesWhatPagingDecides(w);
        }
    }

    private static void queuesWhatPagingDecides(IncidentWorld w) {
        Pager pager = new Pager(w.rollouts.config, w.store, () -> "http://rg.example");
        Incident i = Incident.opened("wp", "production", "down", Severity.SEV2, Incident.Source.MANUAL, "manual:1", "bob",
                w.rollouts.clock.instant());
        int id = w.rollouts.db.inTransaction(tx -> w.store.insert(tx, i));
        Incident stored = i.withId(id);

        w.rollouts.db.useTransaction(tx -> pager.page(tx, stored, PageAction.TRIGGER, false, w.rollouts.clock.instant()));
        w.rollouts.db.useTransaction(tx -> pager.page(tx, stored, PageAction.TRIGGER, false, w.rollouts.clock.instant()));
        assertThat(w.store.notifications(id)).as("told once").singleElement()
                .satisfies(n -> assertThat(n.payload()).contains("http://rg.example/incidents/" + id));
        w.rollouts.db.useTransaction(tx -> pager.page(tx, stored.withStatus(Incident.Status.RESOLVED), PageAction.RESOLVE, false,
                w.rollouts.clock.instant()));
        assertThat(w.store.notifications(id)).extracting(Notification::action).containsExactlyInAnyOrder(PageAction.TRIGGER, PageAction.RESOLVE);

        // a SEV4 below the channel's minimum severity pages nobody
        Incident minor = Incident.opened("wp", "production", "slow", Severity.SEV4, Incident.Source.MANUAL, "manual:2", "bob",
                w.rollouts.clock.instant());
        int minorId = w.rollouts.db.inTransaction(tx -> w.store.insert(tx, minor));
        w.rollouts.db.useTransaction(tx -> pager.page(tx, minor.withId(minorId), PageAction.TRIGGER, false, w.rollouts.clock.instant()));
        assertThat(w.store.notifications(minorId)).isEmpty();
        assertThat(new Pager(w.rollouts.config, w.store, () -> null).link(stored)).as("no public address, no link").isNull();
    }
}
