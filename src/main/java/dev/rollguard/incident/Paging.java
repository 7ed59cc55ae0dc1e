package dev.rollguard.incident;

import dev.rollguard.config.IncidentSettings;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Who gets paged, as a pure function of the incident, the channels its service declares and the channels already told
 * ({@code told}: those that got a trigger). The {@link Pager} only enqueues what this decides.
 */
public final class Paging {
    private Paging() {}

    /** One webhook to send; {@code note}: the timeline line that says so (null: none), with its once-only reference. */
    public record Page(IncidentSettings.Channel channel, PageAction action, String note, String ref) {}

    /**
     * {@code TRIGGER}: every channel that wants this severity and was not told yet; on an escalation, channels already
     * told get a new trigger too (PagerDuty folds it into the same alert by dedup_key, with the new severity). Any other
     * action (acknowledge, mitigated, resolve) goes to the channels that were triggered and take it. A resolved incident
     * triggers nobody.
     */
    public static List<Page> decide(Incident i, PageAction action, boolean escalated, List<IncidentSettings.Channel> channels,
                                    Set<String> told) {
        List<Page> pages = new ArrayList<>();
        if (action != PageAction.TRIGGER) {
            for (IncidentSettings.Channel c : channels) {
                if (told.contains(c.name()) && Webhooks.supports(c.kind(), action)) pages.add(new Page(c, action, null, null));
            }
            return pages;
        }
        if (i.status() == Incident.Status.RESOLVED) return pages;
        for (IncidentSettings.Channel c : channels) {
            if (escalated && told.contains(c.name())) {
                pages.add(new Page(c, PageAction.TRIGGER, "escalated to " + i.severity() + ": page updated on " + c.name(),
                        "queued:escalate:" + c.name() + ":" + i.severity()));
            } else if ((c.wants(i.severity()) || reviewNotice(i, c)) && !told.contains(c.name())) {
                pages.add(new Page(c, PageAction.TRIGGER, "page queued for " + c.name() + " (" + c.kind().name().toLowerCase() + ", "
                        + i.severity() + ")", "queued:trigger:" + c.name()));
            }
        }
        return pages;
    }

    /**
     * A break-glass release is announced on every chat and generic channel whatever their minimum severity: the
     * team must know the pipeline was bypassed. Pagers are spared: a review is not worth waking someone for.
     */
    private static boolean reviewNotice(Incident i, IncidentSettings.Channel c) {
        return i.source() == Incident.Source.BREAK_GLASS && c.kind() != IncidentSettings.Kind.PAGERDUTY;
    }
}
