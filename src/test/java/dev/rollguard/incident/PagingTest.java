package dev.rollguard.incident;

import dev.rollguard.config.IncidentSettings;
import dev.rollguard.config.Severity;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Who gets paged, decided without a database: severities, channels already told, escalations, break-glass reviews. */
class PagingTest {
    private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");
    private static final IncidentSettings.Channel PD = new IncidentSettings.Channel("pd", IncidentSettings.Kind.PAGERDUTY,
            "https://events.pagerduty.com/v2/enqueue", null, "key", Severity.SEV2);
    private static final IncidentSettings.Channel CHAT = new IncidentSettings.Channel("chat", IncidentSettings.Kind.SLACK,
            "https://hooks.slack.com/x", null, null, Severity.SEV3);
    private static final List<IncidentSettings.Channel> BOTH = List.of(PD, CHAT);

    private static Incident incident(Severity sev, Incident.Source source, Incident.Status status) {
        return new Incident(7, "wp", "production", "down", sev, status, source, "c", null, null, null, null, "rollguard", T0, T0,
                null, null, null, null, null, null, null, T0);
    }

    private static List<String> channels(List<Paging.Page> pages) {
        return pages.stream().map(p -> p.channel().name()).toList();
    }

    @Test
    void aTriggerGoesToEveryChannelThatWantsTheSeverityOnce() {
        Incident sev3 = incident(Severity.SEV3, Incident.Source.ROLLBACK, Incident.Status.OPEN);
        assertThat(channels(Paging.decide(sev3, PageAction.TRIGGER, false, BOTH, Set.of()))).containsExactly("chat");
        Incident sev1 = incident(Severity.SEV1, Incident.Source.ROLLBACK, Incident.Status.OPEN);
        assertThat(channels(Paging.decide(sev1, PageAction.TRIGGER, false, BOTH, Set.of("chat")))).containsExactly("pd");
        assertThat(Paging.decide(sev1, PageAction.TRIGGER, false, BOTH, Set.of()).get(0).note()).isEqualTo("page queued for pd (pagerduty, SEV1)");
    }

    @Test
    void anEscalationUpdatesThePagesAlreadySent() {
        Incident sev1 = incident(Severity.SEV1, Incident.Source.ROLLBACK, Incident.Status.OPEN);
        List<Paging.Page> pages = Paging.decide(sev1, PageAction.TRIGGER, true, BOTH, Set.of("chat"));
        assertThat(pages).extracting(Paging.Page::ref).containsExactly("queued:trigger:pd", "queued:escalate:chat:SEV1");
    }

    @Test
    void aBreakGlassReviewIsAnnouncedOnChatButWakesNoPager() {
        Incident review = incident(Severity.SEV4, Incident.Source.BREAK_GLASS, Incident.Status.OPEN);
        assertThat(channels(Paging.decide(review, PageAction.TRIGGER, false, BOTH, Set.of()))).containsExactly("chat");
    }

    @Test
    void followUpsGoOnlyWhereATriggerWent() {
        Incident i = incident(Severity.SEV1, Incident.Source.ROLLBACK, Incident.Status.RESOLVED);
        assertThat(channels(Paging.decide(i, PageAction.RESOLVE, false, BOTH, Set.of("pd")))).containsExactly("pd");
        assertThat(Paging.decide(i, PageAction.RESOLVE, false, BOTH, Set.of("pd")).get(0).note()).isNull();
    }

    /** A resolved incident triggers nobody; without an escalation, no channel is triggered twice. */
    @Property(tries = 300)
    void neverTwiceAndNeverWhenResolved(@ForAll Severity sev, @ForAll Incident.Source source, @ForAll Incident.Status status,
                                        @ForAll boolean pdTold, @ForAll boolean chatTold) {
        Set<String> told = new HashSet<>();
        if (pdTold) told.add("pd");
        if (chatTold) told.add("chat");
        List<Paging.Page> pages = Paging.decide(incident(sev, source, status), PageAction.TRIGGER, false, BOTH, told);
        if (status == Incident.Status.RESOLVED) assertThat(pages).isEmpty();
        assertThat(channels(pages)).doesNotHaveDuplicates().noneMatch(told::contains);
    }
}
