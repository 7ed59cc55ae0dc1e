package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.config.Severity;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.rollout.RolloutEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An incident's life by hand, without HTTP: each command's state, its timeline and its pages in the outbox. */
class IncidentServiceTest {
    @TempDir
    Path dir;
    IncidentWorld w;

    @BeforeEach
    void setUp() {
        w = new IncidentWorld(dir);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    @Test
    void openAcknowledgeNoteResolve() {
        Incident i = w.incidents.open("wp", "production", "checkout down", Severity.SEV2, "carol", "bob");
        assertThat(i.id()).isPositive();
        assertThat(w.incidents.notifications(i.id())).extracting(Notification::action).containsExactly(PageAction.TRIGGER);
        assertThat(w.incidents.acknowledge(i.id(), "carol").acknowledgedAt()).isNotNull();
        assertThat(w.incidents.note(i.id(), "carol", " rolling back ").message()).isEqualTo("rolling back");
        assertThat(w.incidents.update(i.id(), null, Severity.SEV1, null, "carol").severity()).isEqualTo(Severity.SEV1);
        assertThat(w.incidents.resolve(i.id(), "carol", "fixed").status()).isEqualTo(Incident.Status.RESOLVED);
        assertThatThrownBy(() -> w.incidents.resolve(i.id(), "carol", "again")).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("already_resolved");
        assertThat(w.incidents.timeline(i.id())).extracting(TimelineEntry::type).contains("opened", "note", "resolved");
        assertThat(w.incidents.notifications(i.id())).extracting(Notification::action).contains(PageAction.ACKNOWLEDGE, PageAction.RESOLVE);
        assertThat(w.incidents.incidents("wp", "resolved", 10)).extracting(Incident::id).containsExactly(i.id());
    }

    @Test
    void whereAHostCaughtTheVersionIsStoredAsAType() {
        var caught = new RolloutEvent.HostFailed("h0", new AgentProtocol.HostFailure(AgentProtocol.Stage.PREFLIGHT, "500",
                new AgentProtocol.ProbeAnswer("/", 500, 200, "Fatal")), true);
        Incident opened = Incident.opened("wp", "production", "caught", Severity.SEV3, Incident.Source.ROLLBACK, "rollout:x", "rollguard",
                w.rollouts.clock.instant()).withCaught(caught);
        int id = w.rollouts.db.inTransaction(tx -> w.store.insert(tx, opened));
        assertThat(w.incidents.incident(id).caught()).isEqualTo(caught);
        assertThat(w.incidents.postmortems().markdown(id, true)).contains("| caught | in preflight on h0, before any user request");
    }

    @Test
    void badInputIsRefused() {
        assertThatThrownBy(() -> w.incidents.open("wp", "staging", "x", null, null, "bob")).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("unknown_environment");
        assertThatThrownBy(() -> w.incidents.open("wp", "production", " ", null, null, "bob")).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("title_required");
        assertThatThrownBy(() -> w.incidents.incidents("wp", "gone", 10)).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("invalid_status");
        assertThatThrownBy(() -> w.incidents.incident(99)).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("unknown_incident");
    }
}
