package dev.rollguard.incident;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.config.IncidentSettings;
import dev.rollguard.config.RolloutPolicy;
import dev.rollguard.config.Severity;
import dev.rollguard.health.HealthStore;
import dev.rollguard.rollout.Rollout;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The plain-Java core of incidents: impact arithmetic, severities, webhook formats and signatures. */
class IncidentCoreTest {
    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");

    private static HealthStore.Sample s(int fromSec, Integer version, long requests, long errors, Integer firstErrorMs) {
        Instant start = T0.plusSeconds(fromSec);
        return new HealthStore.Sample(start, start.plusSeconds(1), version, requests, errors, 10, requests,
                firstErrorMs == null ? null : start.plusMillis(firstErrorMs));
    }

    @Test
    void impactCountsFailuresOfHostsThatServedTheBadVersion() {
        Map<String, List<HealthStore.Sample>> samples = Map.of(
                "canary", List.of(s(0, 1, 100, 0, null), s(1, 2, 100, 100, 250), s(2, 2, 50, 50, 0), s(3, 1, 100, 3, 10), s(4, 1, 100, 0, null)),
                "other", List.of(s(0, 1, 100, 0, null), s(1, 1, 100, 0, null), s(2, 1, 100, 7, 100), s(3, 1, 100, 0, null)));
        Instant detected = T0.plusMillis(1800);
        Instant mitigated = T0.plusMillis(3500);
        Instant recovered = T0.plusSeconds(5);
        Impact i = Impact.compute(samples, 2, T0, recovered, detected, mitigated, recovered);
        // the canary's 3 failures served around the switch back count; the other host's 7 (not from v2) do not
        assertThat(i.requestsFailed()).isEqualTo(153);
        assertThat(i.requestsTotal()).isEqualTo(850);
        assertThat(i.hostsAffected()).isEqualTo(1);
        assertThat(i.hostsTotal()).isEqualTo(2);
        assertThat(i.firstErrorAt()).isEqualTo(T0.plusMillis(1250));
        assertThat(i.timeToDetectMillis()).isEqualTo(550);
        assertThat(i.timeToMitigateMillis()).isEqualTo(2250);
        assertThat(i.timeToRecoverMillis()).isEqualTo(3750);
        assertThat(i.peakPercent()).isEqualTo(50.0); // second 2: 100 of 200
        assertThat(i.severity()).isEqualTo(Severity.SEV1);

        Impact any = Impact.compute(samples, null, T0, recovered, null, null, null);
        assertThat(any.requestsFailed()).isEqualTo(160);
        assertThat(any.hostsAffected()).isEqualTo(2);
        assertThat(Impact.compute(Map.of(), 2, T0, recovered, null, null, null).requestsFailed()).isZero();
    }

    @Test
    void severityFollowsTheShareOfTrafficHurt() {
        assertThat(Severity.fromPeakPercent(100)).isEqualTo(Severity.SEV1);
        assertThat(Severity.fromPeakPercent(25)).isEqualTo(Severity.SEV1);
        assertThat(Severity.fromPeakPercent(24.9)).isEqualTo(Severity.SEV2);
        assertThat(Severity.fromPeakPercent(1)).isEqualTo(Severity.SEV3);
        assertThat(Severity.fromPeakPercent(0)).isEqualTo(Severity.SEV4);
        assertThat(Severity.worse(Severity.SEV3, Severity.SEV1)).isEqualTo(Severity.SEV1);
    }

    private static Incident incident() {
        return new Incident(7, "wp", "production", "v9 rolled back", Severity.SEV2, Incident.Status.OPEN, Incident.Source.ROLLBACK,
                "rollout:x", "x", 8, 9, null, "rollguard", T0, T0, null, null, null, null, null, null, null, T0);
    }

    @Test
    void webhookBodiesFollowTheReceiversFormats() throws Exception {
        var pd = new IncidentSettings.Channel("pd", IncidentSettings.Kind.PAGERDUTY, "https://events.pagerduty.com/v2/enqueue", null, "key", null);
        JsonNode trigger = Json.MAPPER.readTree(Webhooks.payload(pd, PageAction.TRIGGER, incident(), "http://rg/incidents/7"));
        assertThat(trigger.path("event_action").asText()).isEqualTo("trigger");
        assertThat(trigger.path("routing_key").asText()).isEqualTo("key");
        assertThat(trigger.path("dedup_key").asText()).isEqualTo("rollguard-incident-7");
        assertThat(trigger.path("payload").path("severity").asText()).isEqualTo("error");
        assertThat(trigger.path("payload").path("source").asText()).isEqualTo("rollguard/wp/production");
        assertThat(trigger.path("payload").path("timestamp").asText()).isEqualTo("2026-11-25T10:00:00Z");
        assertThat(trigger.path("links").get(0).path("href").asText()).isEqualTo("http://rg/incidents/7");
        JsonNode resolve = Json.MAPPER.readTree(Webhooks.payload(pd, PageAction.RESOLVE, incident(), null));
        assertThat(resolve.has("payload")).isFalse();
        assertThat(resolve.path("dedup_key").asText()).isEqualTo("rollguard-incident-7");
        assertThat(Webhooks.supports(IncidentSettings.Kind.PAGERDUTY, PageAction.MITIGATED)).isFalse();

        var slack = new IncidentSettings.Channel(null, IncidentSettings.Kind.SLACK, "https://hooks.slack.com/services/x", null, null, null);
        assertThat(slack.name()).isEqualTo("slack");
        assertThat(slack.minSeverity()).isEqualTo(Severity.SEV3);
        JsonNode s = Json.MAPPER.readTree(Webhooks.payload(slack, PageAction.TRIGGER, incident(), "http://rg/incidents/7"));
        assertThat(s.path("text").asText()).contains("Incident #7 opened", "[SEV2] wp/production", "<http://rg/incidents/7|");
        assertThat(s.path("blocks").get(0).path("type").asText()).isEqualTo("section");
    }

    @Test
    void signaturesAreHmacOverTimeAndBody() {
        String sig = Webhooks.signature("secret", 1_700_000_000L, "{\"a\":1}");
        assertThat(sig).matches("t=1700000000,v1=[0-9a-f]{64}");
        assertThat(Webhooks.verify("secret", sig, "{\"a\":1}", 1_700_000_100L, 300)).isTrue();
        assertThat(Webhooks.verify("secret", sig, "{\"a\":2}", 1_700_000_100L, 300)).isFalse();
        assertThat(Webhooks.verify("secret", sig, "{\"a\":1}", 1_700_001_000L, 300)).as("too old").isFalse();
        assertThat(Webhooks.verify("secret", null, "{}", 0, 300)).isFalse();
    }

    @Test
    void channelsAreValidated() {
        Assertions.assertThatThrownBy(() ->
                new IncidentSettings.Channel("x", IncidentSettings.Kind.PAGERDUTY, "https://e", null, null, null)).hasMessageContaining("routingKey");
        Assertions.assertThatThrownBy(() ->
                new IncidentSettings.Channel("x", IncidentSettings.Kind.GENERIC, "file:///etc/passwd", null, null, null)).hasMessageContaining("http");
        var c = new IncidentSettings.Channel("x", IncidentSettings.Kind.GENERIC, "http://h/x", "s", null, null);
        assertThat(c.masked().secret()).isEqualTo("********");
        assertThat(Notifier.backoff(1).toMillis()).isBetween(800L, 1200L);
        assertThat(Notifier.backoff(30).toMillis()).isLessThanOrEqualTo(360_000L);
    }

    /** The tour before it released v1: every host failed every request (no config), then the canary took the typo. */
    @Test
    void failuresHostsHadBeforeTheReleaseAreNotTheReleases() {
        List<HealthStore.Sample> canary = new ArrayList<>();
        List<HealthStore.Sample> other = new ArrayList<>();
        for (int sec = -30; sec < 0; sec++) {
            canary.add(s(sec, null, 10, 10, 0));
            other.add(s(sec, null, 10, 10, 0));
        }
        // the release starts at T0; the canary needs 20 s to apply v2 and fails on it as it failed before; the others go on
        for (int sec = 0; sec < 30; sec++) {
            canary.add(sec < 20 ? s(sec, null, 10, 10, 0) : s(sec, 2, 10, 10, 100));
            other.add(s(sec, null, 10, 10, 0));
        }
        Map<String, List<HealthStore.Sample>> samples = Map.of("canary", canary, "b", other, "c", other, "d", other, "e", other);
        Instant detected = T0.plusMillis(20_400);
        Impact i = Impact.compute(samples, 2, T0, T0.plusSeconds(30), detected, null, null);
        assertThat(i.requestsFailed()).as("only the canary's failures on v2").isEqualTo(100);
        assertThat(i.hostsAffected()).isEqualTo(1);
        assertThat(i.hostsTotal()).isEqualTo(5);
        assertThat(i.firstErrorAt()).isEqualTo(T0.plusMillis(20_100));
        assertThat(i.timeToDetectMillis()).as("from the first failure on v2, not from the first failure of the window").isEqualTo(300);
        assertThat(i.peakPercent()).as("the canary is a fifth of the traffic").isEqualTo(20.0);
        assertThat(i.severity()).isEqualTo(Severity.SEV2);
    }

    @Test
    void aHostsFailuresOnOtherVersionsCountOnlyOverItsBaseline() {
        List<HealthStore.Sample> steady = new ArrayList<>();
        List<HealthStore.Sample> worse = new ArrayList<>();
        for (int sec = -60; sec < 0; sec++) {
            steady.add(s(sec, 1, 100, 5, 10));
            worse.add(s(sec, 1, 100, 5, 10));
        }
        // both served the bad version for a second, then went back to v1: one at its old 5 %, one at 50 %
        steady.add(s(0, 2, 100, 100, 0));
        worse.add(s(0, 2, 100, 100, 0));
        for (int sec = 1; sec < 11; sec++) {
            steady.add(s(sec, 1, 100, sec % 2 == 0 ? 8 : 3, 10));
            worse.add(s(sec, 1, 100, 50, 10));
        }
        Impact a = Impact.compute(Map.of("steady", steady), 2, T0, T0.plusSeconds(11), null, null, null);
        assertThat(a.requestsFailed()).as("5 %% on v1 as before the release is noise").isEqualTo(100);
        Impact b = Impact.compute(Map.of("worse", worse), 2, T0, T0.plusSeconds(11), null, null, null);
        assertThat(b.requestsFailed()).as("100 on v2 + 10 s of 45 over the baseline of 5").isEqualTo(100 + 450);
    }

    @Test
    void aLaterCompletedReleaseOfAnotherVersionIsTheFix() {
        Rollout bad = rollout("r1", 2, Rollout.State.ROLLED_BACK, 0, 5);
        assertThat(FixRelease.landed(bad, List.of(bad))).isEmpty();
        Rollout sameAgain = rollout("r2", 2, Rollout.State.COMPLETE, 10, 20);
        Rollout running = rollout("r3", 3, Rollout.State.RUNNING, 30, 31);
        assertThat(FixRelease.landed(bad, List.of(running, sameAgain, bad))).as("the bad version again, or not yet complete").isEmpty();
        Rollout fix = rollout("r4", 3, Rollout.State.COMPLETE, 40, 95);
        Rollout older = rollout("r0", 1, Rollout.State.COMPLETE, -100, -90);
        assertThat(FixRelease.landed(bad, List.of(fix, running, sameAgain, bad, older))).contains(fix);
    }

    private static Rollout rollout(String id, int to, Rollout.State state, int createdSec, int updatedSec) {
        return new Rollout(id, "wp", "production", 1, to, List.of("a", "b"), RolloutPolicy.defaults(), state, 0, T0.plusSeconds(createdSec),
                T0.plusSeconds(createdSec), T0.plusSeconds(updatedSec), "alice", null, null);
    }
}
