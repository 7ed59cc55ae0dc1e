package dev.rollguard.incident;

import dev.rollguard.Json;
import dev.rollguard.config.IncidentSettings;
import dev.rollguard.config.Severity;
import dev.rollguard.rollout.RolloutEvent;
import dev.rollguard.storage.Rows;
import dev.rollguard.storage.Store;
import dev.rollguard.storage.Tx;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import static dev.rollguard.storage.Rows.instant;
import static dev.rollguard.storage.Rows.integer;

/** Persistence of incidents, their timelines, action items, postmortems and the webhook outbox. */
public final class IncidentStore extends Store {
    private static final String COLUMNS = "id, service, environment, title, severity, status, source, cause_key, rollout_id, "
            + "from_version, to_version, commander, opened_by, opened_at, detected_at, acknowledged_at, mitigated_at, recovered_at, "
            + "resolved_at, impact, analysis, caught, updated_at";
    private static final String ACTION_COLUMNS = "id, incident_id, title, owner, due, status, created_at, updated_at, done_at";

    public IncidentStore(Jdbi jdbi) {
        super(jdbi);
    }

    /** One transaction for a decision and its effects: the service's unit of change. */

    // ------------------------------------------------------------------ incidents

    /** Inserts with the next free number. */
    public int insert(Tx tx, Incident i) {
        Handle h = handle(tx);
        Rows.numbering(h, "incidents");
        int id = h.createQuery("SELECT COALESCE(MAX(id), 0) + 1 FROM incidents").mapTo(Integer.class).one();
        h.createUpdate("INSERT INTO incidents (" + COLUMNS + ") VALUES (:id, :service, :env, :title, :severity, :status, :source, "
                        + ":cause, :rollout, :from, :to, :commander, :openedBy, :openedAt, :detectedAt, :ackAt, :mitigatedAt, "
                        + ":recoveredAt, :resolvedAt, :impact, :analysis, :caught, :updatedAt)")
                .bind("id", id).bind("service", i.service()).bind("env", i.env()).bind("title", i.title())
                .bind("severity", i.severity().name()).bind("status", i.status().name()).bind("source", i.source().name())
                .bind("cause", i.causeKey()).bind("rollout", i.rolloutId()).bind("from", i.fromVersion()).bind("to", i.toVersion())
                .bind("commander", i.commander()).bind("openedBy", i.openedBy()).bind("openedAt", millis(i.openedAt()))
                .bind("detectedAt", millis(i.detectedAt())).bind("ackAt", millis(i.acknowledgedAt()))
                .bind("mitigatedAt", millis(i.mitigatedAt())).bind("recoveredAt", millis(i.recoveredAt()))
                .bind("resolvedAt", millis(i.resolvedAt())).bind("impact", i.impact() == null ? null : Json.write(i.impact()))
                .bind("analysis", i.analysis() == null ? null : Json.write(i.analysis()))
                .bind("caught", i.caught() == null ? null : Json.write(i.caught())).bind("updatedAt", millis(i.updatedAt()))
                .execute();
        return id;
    }

    public void update(Tx tx, Incident i) {
        Handle h = handle(tx);
        h.createUpdate("UPDATE incidents SET title = :title, severity = :severity, status = :status, source = :source, "
                        + "rollout_id = :rollout, from_version = :from, to_version = :to, commander = :commander, detected_at = :detectedAt, "
                        + "acknowledged_at = :ackAt, mitigated_at = :mitigatedAt, recovered_at = :recoveredAt, resolved_at = :resolvedAt, "
                        + "impact = :impact, analysis = :analysis, caught = :caught, updated_at = :updatedAt WHERE id = :id")
                .bind("id", i.id()).bind("title", i.title()).bind("severity", i.severity().name()).bind("status", i.status().name())
                .bind("source", i.source().name()).bind("rollout", i.rolloutId()).bind("from", i.fromVersion())
                .bind("to", i.toVersion()).bind("commander", i.commander()).bind("detectedAt", millis(i.detectedAt()))
                .bind("ackAt", millis(i.acknowledgedAt())).bind("mitigatedAt", millis(i.mitigatedAt()))
                .bind("recoveredAt", millis(i.recoveredAt())).bind("resolvedAt", millis(i.resolvedAt()))
                .bind("impact", i.impact() == null ? null : Json.write(i.impact()))
                .bind("analysis", i.analysis() == null ? null : Json.write(i.analysis()))
                .bind("caught", i.caught() == null ? null : Json.write(i.caught())).bind("updatedAt", millis(i.updatedAt()))
                .execute();
    }

    public Optional<Incident> incident(int id) {
        return jdbi.withHandle(h -> incident(tx(h), id));
    }

    public Optional<Incident> incident(Tx tx, int id) {
        Handle h = handle(tx);
        return h.createQuery("SELECT " + COLUMNS + " FROM incidents WHERE id = :id").bind("id", id).map((rs, c) -> row(rs)).findOne();
    }

    /** The unresolved incident of a cause, if any: deduplication is by cause, not by host or signal. */
    public Optional<Incident> activeByCause(Tx tx, String causeKey) {
        Handle h = handle(tx);
        return h.createQuery("SELECT " + COLUMNS + " FROM incidents WHERE cause_key = :c AND status <> 'RESOLVED' ORDER BY id DESC")
                .bind("c", causeKey).map((rs, c) -> row(rs)).findFirst();
    }

    public List<Incident> active() {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM incidents WHERE status <> 'RESOLVED' ORDER BY id")
                .map((rs, c) -> row(rs)).list());
    }

    public List<Incident> list(String service, String status, int limit) {
        return jdbi.withHandle(h -> {
            StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM incidents WHERE 1 = 1");
            if (service != null) sql.append(" AND service = :service");
            if (status != null) sql.append(" AND status = :status");
            sql.append(" ORDER BY id DESC LIMIT :limit");
            Query q = h.createQuery(sql.toString()).bind("limit", limit);
            if (service != null) q.bind("service", service);
            if (status != null) q.bind("status", status);
            return q.map((rs, c) -> row(rs)).list();
        });
    }

    private static Incident row(ResultSet rs) throws SQLException {
        String impact = rs.getString("impact");
        String analysis = rs.getString("analysis");
        String caught = rs.getString("caught");
        return new Incident(rs.getInt("id"), rs.getString("service"), rs.getString("environment"), rs.getString("title"),
                Severity.valueOf(rs.getString("severity")), Incident.Status.valueOf(rs.getString("status")),
                Incident.Source.valueOf(rs.getString("source")), rs.getString("cause_key"), rs.getString("rollout_id"),
                integer(rs, "from_version"), integer(rs, "to_version"), rs.getString("commander"), rs.getString("opened_by"),
                instant(rs, "opened_at"), instant(rs, "detected_at"), instant(rs, "acknowledged_at"), instant(rs, "mitigated_at"),
                instant(rs, "recovered_at"), instant(rs, "resolved_at"), impact == null ? null : Json.read(impact, Impact.class),
                analysis == null ? null : Json.read(analysis, IncidentAnalysis.type(Incident.Source.valueOf(rs.getString("source")))),
                caught == null ? null : Json.read(caught, RolloutEvent.HostFailed.class), instant(rs, "updated_at"));
    }

    // ------------------------------------------------------------------ timeline

    /**
     * Adds a timeline entry unless one with the same {@code ref} is there already (so copying a rollout's events,
     * or noting a host's first 5xx, can be repeated safely). True if added.
     */
    public boolean addTimeline(Tx tx, int incident, Instant at, String type, String source, String message,
                               TimelineData data, String ref) {
        Handle h = handle(tx);
        if (ref != null && hasTimeline(tx, incident, ref)) return false;
        // seq keeps the order in which things were recorded among entries of the same millisecond
        Rows.numbering(h, "incident_timeline." + incident);
        int seq = h.createQuery("SELECT COALESCE(MAX(seq), 0) + 1 FROM incident_timeline WHERE incident_id = :i").bind("i", incident)
                .mapTo(Integer.class).one();
        h.createUpdate("INSERT INTO incident_timeline (id, incident_id, seq, at, type, source, message, data, ref) "
                        + "VALUES (:id, :i, :seq, :at, :type, :source, :message, :data, :ref)").bind("seq", seq)
                .bind("id", UUID.randomUUID().toString()).bind("i", incident).bind("at", at.toEpochMilli()).bind("type", type)
                .bind("source", source).bind("message", message).bind("data", data == null || data instanceof TimelineData.None ? null : Json.write(data))
                .bind("ref", ref).execute();
        return true;
    }

    public boolean hasTimeline(Tx tx, int incident, String ref) {
        Handle h = handle(tx);
        return h.createQuery("SELECT COUNT(*) FROM incident_timeline WHERE incident_id = :i AND ref = :ref")
                .bind("i", incident).bind("ref", ref).mapTo(Integer.class).one() > 0;
    }

    public List<TimelineEntry> timeline(int incident) {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, incident_id, at, type, source, message, data FROM incident_timeline "
                + "WHERE incident_id = :i ORDER BY at, seq").bind("i", incident).map((rs, c) -> timelineRow(rs)).list());
    }

    /** The entry recorded under {@code ref}. */
    public Optional<TimelineEntry> timelineEntry(int incident, String ref) {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, incident_id, at, type, source, message, data FROM incident_timeline "
                + "WHERE incident_id = :i AND ref = :ref").bind("i", incident).bind("ref", ref).map((rs, c) -> timelineRow(rs)).findOne());
    }

    private static TimelineEntry timelineRow(ResultSet rs) throws SQLException {
        return new TimelineEntry(rs.getString("id"), rs.getInt("incident_id"), instant(rs, "at"), rs.getString("type"),
                rs.getString("source"), rs.getString("message"), TimelineData.read(rs.getString("type"), rs.getString("data")));
    }

    // ------------------------------------------------------------------ action items

    public ActionItem addAction(int incident, String title, String owner, String due, Instant now) {
        return jdbi.inTransaction(h -> {
            Rows.numbering(h, "action_items");
            int id = h.createQuery("SELECT COALESCE(MAX(id), 0) + 1 FROM action_items").mapTo(Integer.class).one();
            h.createUpdate("INSERT INTO action_items (" + ACTION_COLUMNS + ") VALUES (:id, :i, :title, :owner, :due, 'OPEN', :now, :now, NULL)")
                    .bind("id", id).bind("i", incident).bind("title", title).bind("owner", owner).bind("due", due)
                    .bind("now", now.toEpochMilli()).execute();
            return action(h, id).orElseThrow();
        });
    }

    public Optional<ActionItem> action(int id) {
        return jdbi.withHandle(h -> action(h, id));
    }

    private Optional<ActionItem> action(Handle h, int id) {
        return h.createQuery("SELECT " + ACTION_COLUMNS + " FROM action_items WHERE id = :id").bind("id", id)
                .map((rs, c) -> actionRow(rs)).findOne();
    }

    public ActionItem updateAction(ActionItem a) {
        return jdbi.inTransaction(h -> {
            h.createUpdate("UPDATE action_items SET title = :title, owner = :owner, due = :due, status = :status, updated_at = :u, "
                            + "done_at = :done WHERE id = :id")
                    .bind("id", a.id()).bind("title", a.title()).bind("owner", a.owner()).bind("due", a.due())
                    .bind("status", a.status().name()).bind("u", millis(a.updatedAt())).bind("done", millis(a.doneAt())).execute();
            return action(h, a.id()).orElseThrow();
        });
    }

    public List<ActionItem> actions(Integer incident, String status) {
        return jdbi.withHandle(h -> {
            StringBuilder sql = new StringBuilder("SELECT " + ACTION_COLUMNS + " FROM action_items WHERE 1 = 1");
            if (incident != null) sql.append(" AND incident_id = :i");
            if (status != null) sql.append(" AND status = :status");
            sql.append(" ORDER BY id");
            Query q = h.createQuery(sql.toString());
            if (incident != null) q.bind("i", incident);
            if (status != null) q.bind("status", status);
            return q.map((rs, c) -> actionRow(rs)).list();
        });
    }

    private static ActionItem actionRow(ResultSet rs) throws SQLException {
        return new ActionItem(rs.getInt("id"), rs.getInt("incident_id"), rs.getString("title"), rs.getString("owner"), rs.getString("due"),
                ActionItem.Status.valueOf(rs.getString("status")), instant(rs, "created_at"), instant(rs, "updated_at"),
                instant(rs, "done_at"));
    }

    // ------------------------------------------------------------------ postmortems

    public record SavedPostmortem(String markdown, String updatedBy, Instant updatedAt) {}

    public Optional<SavedPostmortem> postmortem(int incident) {
        return jdbi.withHandle(h -> h.createQuery("SELECT markdown, updated_by, updated_at FROM postmortems WHERE incident_id = :i")
                .bind("i", incident).map((rs, c) -> new SavedPostmortem(rs.getString("markdown"), rs.getString("updated_by"),
                        instant(rs, "updated_at"))).findOne());
    }

    public void savePostmortem(int incident, String markdown, String by, Instant now) {
        jdbi.useTransaction(h -> {
            int n = h.createUpdate("UPDATE postmortems SET markdown = :m, updated_by = :by, updated_at = :now WHERE incident_id = :i")
                    .bind("m", markdown).bind("by", by).bind("now", now.toEpochMilli()).bind("i", incident).execute();
            if (n == 0) {
                h.createUpdate("INSERT INTO postmortems (incident_id, markdown, updated_by, updated_at) VALUES (:i, :m, :by, :now)")
                        .bind("m", markdown).bind("by", by).bind("now", now.toEpochMilli()).bind("i", incident).execute();
            }
        });
    }

    // ------------------------------------------------------------------ outbox

    private static final String NOTIFICATION_COLUMNS = "id, incident_id, channel, kind, action, url, secret, payload, status, attempts, "
            + "next_attempt_at, last_error, created_at, sent_at";

    /** Channels that have been sent (or are to be sent) a trigger for this incident. */
    public Set<String> triggeredChannels(Tx tx, int incident) {
        Handle h = handle(tx);
        return new HashSet<>(h.createQuery("SELECT channel FROM notifications WHERE incident_id = :i AND action = :trigger")
                .bind("i", incident).bind("trigger", PageAction.TRIGGER.wire()).mapTo(String.class).list());
    }

    public void enqueue(Tx tx, int incident, IncidentSettings.Channel c, PageAction action, String payload, Instant now) {
        Handle h = handle(tx);
        h.createUpdate("INSERT INTO notifications (" + NOTIFICATION_COLUMNS + ") VALUES (:id, :i, :channel, :kind, :action, :url, "
                        + ":secret, :payload, 'PENDING', 0, :now, NULL, :now, NULL)")
                .bind("id", UUID.randomUUID().toString()).bind("i", incident).bind("channel", c.name()).bind("kind", c.kind().name())
                .bind("action", action.wire()).bind("url", c.url()).bind("secret", c.secret()).bind("payload", payload)
                .bind("now", now.toEpochMilli()).execute();
    }

    /**
     * Pending notifications whose time has come, oldest first, at most one per incident and channel: a resolve must
     * never overtake its trigger.
     */
    public List<Notification> due(Instant now, int limit) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + NOTIFICATION_COLUMNS + " FROM notifications n WHERE status = 'PENDING' "
                        + "AND NOT EXISTS (SELECT 1 FROM notifications o WHERE o.status = 'PENDING' AND o.incident_id = n.incident_id "
                        + "AND o.channel = n.channel AND (o.created_at < n.created_at OR o.created_at = n.created_at AND o.id < n.id)) "
                        + "AND next_attempt_at <= :now ORDER BY created_at LIMIT :limit")
                .bind("now", now.toEpochMilli()).bind("limit", limit).map((rs, c) -> notificationRow(rs)).list());
    }

    public Optional<Instant> nextAttempt() {
        return jdbi.withHandle(h -> h.createQuery("SELECT MIN(next_attempt_at) FROM notifications WHERE status = 'PENDING'")
                .map((rs, c) -> instant(rs, 1)).findOne());
    }

    public void delivered(String id, int attempts, Instant at) {
        jdbi.useTransaction(h -> h.createUpdate("UPDATE notifications SET status = 'SENT', attempts = :a, sent_at = :at, last_error = NULL "
                + "WHERE id = :id").bind("a", attempts).bind("at", at.toEpochMilli()).bind("id", id).execute());
    }

    public void failed(String id, int attempts, Instant next, String error, boolean giveUp) {
        jdbi.useTransaction(h -> h.createUpdate("UPDATE notifications SET status = :status, attempts = :a, next_attempt_at = :next, "
                        + "last_error = :err WHERE id = :id").bind("status", (giveUp ? Notification.Status.FAILED : Notification.Status.PENDING).name()).bind("a", attempts)
                .bind("next", next.toEpochMilli()).bind("err", error).bind("id", id).execute());
    }

    public List<Notification> notifications(int incident) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + NOTIFICATION_COLUMNS + " FROM notifications WHERE incident_id = :i "
                + "ORDER BY created_at, id").bind("i", incident).map((rs, c) -> notificationRow(rs)).list());
    }

    private static Notification notificationRow(ResultSet rs) throws SQLException {
        return new Notification(rs.getString("id"), rs.getInt("incident_id"), rs.getString("channel"),
                IncidentSettings.Kind.valueOf(rs.getString("kind")), PageAction.of(rs.getString("action")), rs.getString("url"), rs.getString("secret"),
                rs.getString("payload"), Notification.Status.valueOf(rs.getString("status")), rs.getInt("attempts"), instant(rs, "next_attempt_at"),
                rs.getString("last_error"), instant(rs, "created_at"), instant(rs, "sent_at"));
    }

    // ------------------------------------------------------------------ helpers

    private static Long millis(Instant i) {
        return i == null ? null : i.toEpochMilli();
    }

}
