package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.config.IncidentSettings;
import dev.rollguard.storage.Tx;
import dev.rollguard.versions.ConfigService;

import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/**
 * Puts the pages {@link Paging} decides in the webhook outbox, in the caller's transaction, for the {@link Notifier}
 * to deliver.
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

    void page(Tx tx, Incident i, PageAction action, boolean escalated, Instant now) {
        for (Paging.Page p : Paging.decide(i, action, escalated, channels(i), store.triggeredChannels(tx, i.id()))) {
            store.enqueue(tx, i.id(), p.channel(), p.action(), Webhooks.payload(p.channel(), p.action(), i, link(i)), now);
            if (p.note() != null) {
                store.addTimeline(tx, i.id(), now, TimelineType.ALERT_QUEUED.wire(), "rollguard", p.note(),
                        new TimelineData.Channel(p.channel().name()), p.ref());
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
