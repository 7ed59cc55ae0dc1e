package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.config.IncidentSettings;
import dev.rollguard.versions.ConfigService;
import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Which channels hear of an incident: puts pages in the webhook outbox (in the caller's transaction) for the
 * {@link Notifier} to deliver.
 */
final class Pager {
    private final ConfigService config;
    private final IncidentStore store;
    private final Supplier<String> publicUrl;

    Pager(ConfigService config, IncidentStore store, Supplier<String> publicUrl) {
        this.config = config;
        this.store = store;
        this.publicUrl = publicUrl;
    }

    /**
     * Sends a trigger to every channel that wants this severity and was not told yet; on an escalation, channels
     * already told get a new trigger too (PagerDuty folds it into the same alert by dedup_key, with the new severity).
     */
    void trigger(Handle h, Incident i, Instant now, boolean escalated) {
        if (i.status() == Incident.Status.RESOLVED) return;
        Set<String> told = store.triggeredChannels(h, i.id());
        for (IncidentSettings.Channel c : channels(i)) {
            if (escalated && told.contains(c.name())) {
                store.enqueue(h, i.id(), c, PageAction.TRIGGER, Webhooks.payload(c, PageAction.TRIGGER, i, link(i)), now);
                store.addTimeline(h, i.id(), now, TimelineType.ALERT_QUEUED.wire(), "rollguard", "escalated to " + i.severity() + ": page updated on "
                        + c.name(), Map.of("channel", c.name()), "queued:escalate:" + c.name() + ":" + i.severity());
            } else if ((c.wants(i.severity()) || reviewNotice(i, c)) && !told.contains(c.name())) {
                store.enqueue(h, i.id(), c, PageAction.TRIGGER, Webhooks.payload(c, PageAction.TRIGGER, i, link(i)), now);
                store.addTimeline(h, i.id(), now, TimelineType.ALERT_QUEUED.wire(), "rollguard", "page queued for " + c.name() + " ("
                        + c.kind().name().toLowerCase() + ", " + i.severity() + ")", Map.of("channel", c.name()), "queued:trigger:" + c.name());
            }
        }
    }

    /**
     * A break-glass release is announced on every chat and generic channel whatever their minimum severity: the
     * team must know the pipeline was bypassed. Pagers are spared: a review is not worth waking someone for.
     */
    private static boolean reviewNotice(Incident i, IncidentSettings.Channel c) {
        return i.source() == Incident.Source.BREAK_GLASS && c.kind() != IncidentSettings.Kind.PAGERDUTY;
    }

    /** Acknowledge, mitigated and resolve go to the channels that were triggered. */
    void page(Handle h, Incident i, PageAction action, Instant now) {
        if (action == PageAction.TRIGGER) {
            trigger(h, i, now, false);
            return;
        }
        Set<String> told = store.triggeredChannels(h, i.id());
        for (IncidentSettings.Channel c : channels(i)) {
            if (told.contains(c.name()) && Webhooks.supports(c.kind(), action)) {
                store.enqueue(h, i.id(), c, action, Webhooks.payload(c, action, i, link(i)), now);
            }
        }
    }

    private List<IncidentSettings.Channel> channels(Incident i) {
        try {
            return config.service(i.service()).incidents().channels();
        } catch (Problem e) {
            return List.of();
        }
    }

    /** Where people open the incident: the dashboard, if the server knows its public address. */
    String link(Incident i) {
        String base = publicUrl.get();
        return base == null ? null : base + "/incidents/" + i.id();
    }
}
