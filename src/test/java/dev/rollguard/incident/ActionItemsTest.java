package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.config.Severity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ActionItemsTest {
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
    void addedOnTheTimelineUpdatedAndListedByStatus() {
        ActionItems actions = w.incidents.actions();
        int id = w.incidents.open("wp", "production", "down", Severity.SEV3, null, "bob").id();
        ActionItem a = actions.add(id, " add a canary probe ", "carol", "2026-12-31", "bob");
        assertThat(a.title()).isEqualTo("add a canary probe");
        assertThat(w.incidents.timeline(id)).extracting(TimelineEntry::message).contains("action item #" + a.id()
                + " added: add a canary probe (owner carol)");
        assertThat(actions.incidentOf(a.id())).map(Incident::id).contains(id);
        ActionItem done = actions.update(a.id(), null, null, null, "done");
        assertThat(done.status()).isEqualTo(ActionItem.Status.DONE);
        assertThat(done.doneAt()).isNotNull();
        assertThat(actions.list(id, "open")).isEmpty();
        assertThat(actions.list(null, "DONE")).extracting(ActionItem::id).containsExactly(a.id());
    }

    @Test
    void badInputIsRefused() {
        ActionItems actions = w.incidents.actions();
        int id = w.incidents.open("wp", "production", "down", Severity.SEV3, null, "bob").id();
        assertThatThrownBy(() -> actions.add(id, "x", null, "tomorrow", "bob")).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("invalid_due");
        assertThatThrownBy(() -> actions.add(99, "x", null, null, "bob")).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("unknown_incident");
        assertThatThrownBy(() -> actions.list(id, "later")).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("invalid_status");
        assertThatThrownBy(() -> actions.update(99, null, null, null, null)).isInstanceOf(Problem.class)
                .extracting(e -> ((Problem) e).code()).isEqualTo("unknown_action");
    }
}
