package dev.rollguard.incident;

import dev.rollguard.Problem;
import dev.rollguard.storage.Transactions;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The follow-ups people file against an incident: added (a line on its timeline), updated, listed. */
public final class ActionItems {
    private final Transactions db;
    private final IncidentStore store;
    private final Clock clock;

    ActionItems(Transactions db, IncidentStore store, Clock clock) {
        this.db = db;
        this.store = store;
        this.clock = clock;
    }

    public ActionItem add(int incident, String title, String owner, String due, String actor) {
        requireIncident(incident);
        if (title == null || title.isBlank()) throw Problem.badRequest("title_required", "an action item needs a title");
        checkDue(due);
        ActionItem a = store.addAction(incident, title.strip(), blankToNull(owner), blankToNull(due), clock.instant());
        db.useTransaction(tx -> store.addTimeline(tx, incident, a.createdAt(), TimelineType.ACTION_ITEM.wire(), actor,
                "action item #" + a.id() + " added: " + a.title() + (a.owner() == null ? "" : " (owner " + a.owner() + ")"), TimelineData.NONE,
                "action:" + a.id()));
        return a;
    }

    public ActionItem update(int actionId, String title, String owner, String due, String status) {
        ActionItem a = store.action(actionId).orElseThrow(() -> Problem.notFound("unknown_action", "no action item #" + actionId));
        checkDue(due);
        ActionItem.Status s = a.status();
        if (status != null) {
            try {
                s = ActionItem.Status.valueOf(status.trim().toUpperCase());
            } catch (IllegalArgumentException e) {
                throw Problem.badRequest("invalid_status", "action item status must be open, done or wontfix, not '" + status + "'");
            }
        }
        Instant now = clock.instant();
        return store.updateAction(new ActionItem(a.id(), a.incidentId(), title == null || title.isBlank() ? a.title() : title.strip(),
                owner == null ? a.owner() : blankToNull(owner), due == null ? a.due() : blankToNull(due), s, a.createdAt(), now,
                s == ActionItem.Status.OPEN ? null : a.doneAt() == null ? now : a.doneAt()));
    }

    /** An incident's action items, or (null) every incident's; {@code status} open, done or wontfix (null: any). */
    public List<ActionItem> list(Integer incident, String status) {
        if (incident != null) requireIncident(incident);
        String s = status == null ? null : status.trim().toUpperCase();
        if (s != null && !Set.of("OPEN", "DONE", "WONTFIX").contains(s)) {
            throw Problem.badRequest("invalid_status", "action item status must be open, done or wontfix, not '" + status + "'");
        }
        return store.actions(incident, s);
    }

    /** The incident an action item belongs to, if both exist. */
    public Optional<Incident> incidentOf(int actionId) {
        return store.action(actionId).flatMap(a -> store.incident(a.incidentId()));
    }

    private void requireIncident(int id) {
        if (store.incident(id).isEmpty()) throw Problem.notFound("unknown_incident", "no incident #" + id);
    }

    private static void checkDue(String due) {
        if (due == null || due.isBlank()) return;
        try {
            LocalDate.parse(due.trim());
        } catch (DateTimeParseException e) {
            throw Problem.badRequest("invalid_due", "due must be a date like 2026-12-31, not '" + due + "'");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
