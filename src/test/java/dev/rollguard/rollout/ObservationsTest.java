package dev.rollguard.rollout;

import dev.rollguard.config.ServiceSpec;
import dev.rollguard.health.HealthStore;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.HealthSample;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The orchestrator's kept view of a rollout's hosts ({@link Observations.Tracked}) against a fresh read of all of them
 * ({@link Observations#of}): after any mix of reports, failures, health samples, late registrations and waves, the two
 * agree, though the kept view read again only the hosts that changed.
 */
class ObservationsTest {
    @TempDir
    Path dir;
    RolloutWorld w;

    @AfterEach
    void tearDown() {
        if (w != null) w.close();
    }

    static Map<String, HostObservation> fresh(RolloutWorld w, Rollout r) {
        Map<String, HostObservation> byHost = new HashMap<>();
        for (HostObservation o : w.observations.of(r)) byHost.put(o.host(), o);
        return byHost;
    }

    /** A rollout of version 1 of "wp" to testing, whose hosts are {@code fleet}, in a new world {@link #w}. */
    Rollout started(List<String> fleet) {
        w = new RolloutWorld(dir).service(new ServiceSpec(null, null, null, OrchestratorTest.TWO_WAVES, null, null, null, null), 2);
        for (String h : fleet) w.registry.register("wp", "testing", h, null);
        return w.rollouts.start("wp", "testing", 1, "alice", null);
    }

    @Test
    void theKeptViewAgreesWithAFreshReadAfterEveryChange() {
        List<String> fleet = List.of("h1", "h2", "h3", "h4", "h5", "h6");
        Rollout r = started(fleet);
        Observations.Tracked kept = w.observations.tracked(true);
        assertThat(kept.of(r)).usingRecursiveComparison().isEqualTo(fresh(w, r));
        // the wave's canary and two baseline hosts: often the same host twice between two looks
        List<String> changing = new ArrayList<>(List.of(r.canaryHosts().get(0)));
        fleet.stream().filter(h -> !changing.contains(h)).limit(2).forEach(changing::add);
        Random random = new Random(28);
        for (int step = 0; step < 120; step++) {
            // one to three changes between two looks, a registration and a report of one host among them at times
            for (int change = random.nextInt(3); change >= 0; change--) {
                // not on whole milliseconds: the database keeps a report's time in milliseconds, and so must the view
                w.clock.advance(Duration.ofMillis(100 + random.nextInt(400)).plusNanos(random.nextInt(1_000_000)));
                String host = changing.get(random.nextInt(3));
                Instant now = w.clock.instant();
                switch (random.nextInt(5)) {
                    case 0 -> w.report("testing", host, random.nextBoolean() ? 1 : null);
                    case 1 -> w.registry.report("wp", "testing", host, null, 1, "apply failed", new AgentProtocol.HostFailure(
                            AgentProtocol.Stage.APPLY, "apply failed", null), List.of()).join();
                    // samples alone, of either version: the hosts' rows stay as they were
                    case 2 -> w.health.report("wp", "testing", host, List.of(HealthStore.Sample.of(
                            new HealthSample(now.minusSeconds(1), now, random.nextInt(2) + 1, 40, random.nextInt(3), 12, 40, null, null))), now);
                    // a registration again (labels and last seen), or of a host outside the rollout
                    case 3 -> w.registry.register("wp", "testing", random.nextBoolean() ? "h7" : host, null);
                    default -> w.registry.report("wp", "testing", host, 1, null, null, null, List.of()).join();
                }
            }
            Instant now = w.clock.instant();
            if (step == 70) {
                // the next wave: the view is read whole again, its canaries judged on the new version
                Rollout before = w.store.rollout(r.id()).orElseThrow();
                Rollout advanced = before.with(Rollout.State.RUNNING, 1, now, now, null);
                assertThat(w.orchestrator.apply(before, new RolloutMachine.Step(advanced, List.of(), null))).isTrue();
            }
            r = w.store.rollout(r.id()).orElseThrow();
            assertThat(kept.of(r)).as("after step %d", step).usingRecursiveComparison().isEqualTo(fresh(w, r));
        }
    }

    @Test
    void aHostReadAgainOnlyWhenItsRowOrSamplesChanged() {
        Rollout r = started(List.of("h1", "h2", "h3"));
        Observations.Tracked kept = w.observations.tracked(true);
        HostObservation h2 = kept.of(r).get("h2");
        w.report("testing", "h1", 1);
        Map<String, HostObservation> view = kept.of(r);
        assertThat(view.get("h2")).as("h2 said nothing: the same observation, not read again").isSameAs(h2);
        assertThat(view.get("h1").appliedVersion()).isEqualTo(1);
        // a server that shares its database with others reads everything every time
        Observations.Tracked shared = w.observations.tracked(false);
        HostObservation first = shared.of(r).get("h2");
        assertThat(shared.of(r).get("h2")).isNotSameAs(first).isEqualTo(first);
    }

    @Test
    void aReadThatFailsDropsTheViewSoThatTheNextReadsWhole() {
        Rollout r = started(List.of("h1", "h2", "h3"));
        Observations.Tracked kept = w.observations.tracked(true);
        kept.of(r);
        // a report (its mark holds the row) and a registration (to be read again): the tick takes both marks, then its read fails
        w.report("testing", "h1", 1);
        w.registry.register("wp", "testing", "h2", null);
        w.db.jdbi().useHandle(h -> h.execute("ALTER TABLE hosts RENAME TO hosts_away"));
        try {
            assertThatThrownBy(() -> kept.of(r)).isInstanceOf(RuntimeException.class);
        } finally {
            w.db.jdbi().useHandle(h -> h.execute("ALTER TABLE hosts_away RENAME TO hosts"));
        }
        assertThat(kept.of(r)).as("h1's report was taken by the failed read: only a whole read sees it")
                .usingRecursiveComparison().isEqualTo(fresh(w, r));
        assertThat(kept.of(r).get("h1").appliedVersion()).isEqualTo(1);
    }

    @Test
    void marksAreKeptOnlyForTheRunningRolloutsOfTheOnlyWriter() {
        Rollout r = started(List.of("h1", "h2", "h3"));
        Observations.Tracked kept = w.observations.tracked(true);
        kept.retain(List.of());
        w.report("testing", "h1", 1);
        w.registry.register("wp", "testing", "h2", null);
        assertThat(w.store.takeChanged("wp", "testing")).as("no running rollout: nothing marked")
                .isEqualTo(new RolloutStore.HostChanges(Set.of(), List.of()));
        assertThat(w.health.takeChanged("wp", "testing")).isEmpty();
        kept.retain(List.of(r));
        w.report("testing", "h1", 1);
        w.registry.register("wp", "testing", "h2", null);
        RolloutStore.HostChanges marked = w.store.takeChanged("wp", "testing");
        assertThat(marked.reread()).containsExactly("h2");
        assertThat(marked.reports()).extracting(HostInfo::host).containsExactly("h1");
        assertThat(w.health.takeChanged("wp", "testing")).containsExactly("h1");
        // replicas sharing PostgreSQL: every tick reads whole, so nothing is marked for them
        w.observations.tracked(false).retain(List.of(r));
        w.report("testing", "h1", 1);
        assertThat(w.store.takeChanged("wp", "testing").reports()).isEmpty();
        assertThat(w.health.takeChanged("wp", "testing")).isEmpty();
    }

    @Test
    void aTickReadsWholeUnlessTheOnlyWriterKeepsARecentViewOfTheSameWave() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(Observations.Tracked.readWhole(true, 0, t, 0, t.plusSeconds(29))).isFalse();
        assertThat(Observations.Tracked.readWhole(false, 0, t, 0, t.plusSeconds(1))).as("replicas: another's writes leave no mark").isTrue();
        assertThat(Observations.Tracked.readWhole(true, null, null, 0, t)).as("not viewed yet").isTrue();
        assertThat(Observations.Tracked.readWhole(true, 0, t, 1, t.plusSeconds(1))).as("a new wave").isTrue();
        assertThat(Observations.Tracked.readWhole(true, 0, t, 0, t.plus(Observations.Tracked.FULL_EVERY))).as("every 30 s").isTrue();
    }

    @Test
    void aRegistrationIsReadAgainAReportHoldsTheRowAndSamplesAloneKeepIt() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        HostObservation h3 = new HostObservation("h3", 1, null, null, null, t, null, List.of(), List.of(), null);
        HostObservation h4 = new HostObservation("h4", null, 1, "apply failed", null, t, null, List.of(), List.of(), null);
        Map<String, HostObservation> observed = Map.of("h3", h3, "h4", h4);
        HostInfo reportedH1 = new HostInfo("wp", "testing", "h1", null, null, t.plusSeconds(1), 1, null, null, null, null);
        HostInfo reportedH2 = new HostInfo("wp", "testing", "h2", null, null, t.plusSeconds(1), 1, null, null, null, null);
        HostInfo reportedOutside = new HostInfo("wp", "testing", "h9", null, null, t.plusSeconds(1), 1, null, null, null, null);
        RolloutStore.HostChanges marks = new RolloutStore.HostChanges(Set.of("h2", "h8"), List.of(reportedH1, reportedH2, reportedOutside));
        Observations.Tracked.Changes c = Observations.Tracked.changes("wp", "testing", Set.of("h1", "h2", "h3", "h4"), observed, marks,
                Set.of("h1", "h2", "h4", "h9"));
        assertThat(c.reread()).as("registered again, of the rollout's hosts").containsExactly("h2");
        assertThat(c.known()).containsOnlyKeys("h1", "h4");
        assertThat(c.known().get("h1")).as("the report's row, not its samples'").isEqualTo(reportedH1);
        HostInfo h4Row = c.known().get("h4");
        assertThat(h4Row.lastSeen()).isEqualTo(t);
        assertThat(h4Row.failedVersion()).isEqualTo(1);
        assertThat(h4Row.applyError()).as("samples alone: the row as it was observed").isEqualTo("apply failed");
    }
}
