package dev.rollguard.incident;

import dev.rollguard.config.Severity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one executor of incident steps: a step's incident and its effects commit together or not at all. */
class IncidentLedgerTest {
    @TempDir
    Path dir;
    IncidentWorld w;
    IncidentLedger ledger;

    @BeforeEach
    void setUp() {
        w = new IncidentWorld(dir);
        ledger = new IncidentLedger(w.rollouts.db, w.rollouts.config, w.rollouts.rollouts, w.store, w.notifier,
                new Pager(w.rollouts.config, w.store, () -> "http://rg.example"));
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    private Instant now() {
        return w.rollouts.clock.instant();
    }

    private IncidentMachine.Step opening(String causeKey, IncidentMachine.Effect... effects) {
        Incident i = Incident.opened("wp", "production", "down", Severity.SEV2, Incident.Source.HEALTH, causeKey, "rollguard", now());
        return new IncidentMachine.Step(i, List.of(effects));
    }

    private static IncidentMachine.Effect.Line line(Instant at, String message, String ref) {
        return new IncidentMachine.Effect.Line(at, TimelineType.OPENED.wire(), "rollguard", message, TimelineData.NONE, ref);
    }

    @Test
    void aNewIncidentIsStoredWithItsLinesAndPagesInOneCommit() {
        Incident stored = ledger.commit(null, opening("health:wp/production", line(now(), "opened by the monitor", "opened"),
                new IncidentMachine.Effect.Trigger(false)), now());
        assertThat(stored.id()).isPositive();
        assertThat(w.store.incident(stored.id())).contains(stored);
        assertThat(w.store.timeline(stored.id())).extracting(TimelineEntry::message)
                .contains("opened by the monitor", "page queued for chat (generic, SEV2)");
        assertThat(w.store.notifications(stored.id())).singleElement().satisfies(n -> {
            assertThat(n.channel()).isEqualTo("chat");
            assertThat(n.action()).isEqualTo(PageAction.TRIGGER);
            assertThat(n.payload()).contains("http://rg.example/incidents/" + stored.id());
        });
        Optional<Incident> active = ledger.transaction(b -> b.activeByCause("health:wp/production"), now());
        assertThat(active).map(Incident::id).contains(stored.id());

        // the same line (by its reference) is written once; an unchanged incident is not written again
        Incident again = ledger.commit(stored, new IncidentMachine.Step(stored, List.of(line(now(), "opened by the monitor", "opened"))), now());
        assertThat(again).isEqualTo(stored);
        assertThat(w.store.timeline(stored.id())).filteredOn(t -> t.message().equals("opened by the monitor")).hasSize(1);
    }

    @Test
    void aFailureBeforeTheCommitLeavesNeitherTheIncidentNorItsEffects() {
        assertThatThrownBy(() -> ledger.transaction(b -> {
            b.execute(null, opening("health:wp/production", line(now(), "opened", "opened"), new IncidentMachine.Effect.Trigger(false)));
            throw new IllegalStateException("the server stopped");
        }, now())).hasMessage("the server stopped");
        assertThat(w.store.active()).isEmpty();
        assertThat(w.store.due(now().plus(Duration.ofDays(1)), 10)).as("no page left behind").isEmpty();
    }

    @Test
    void quietUntilKeepsTheLatestInstantPerEnvironment() {
        Instant later = now().plus(Duration.ofMinutes(10));
        Incident i = ledger.commit(null, opening("health:wp/production", new IncidentMachine.Effect.Quiet(later)), now());
        ledger.commit(i, new IncidentMachine.Step(i, List.of(new IncidentMachine.Effect.Quiet(now().plus(Duration.ofMinutes(1))))), now());
        assertThat(ledger.quietUntil("wp", "production")).isEqualTo(later);
        assertThat(ledger.quietUntil("wp", "testing")).isNull();
    }
}
