package dev.rollguard.web;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.rollguard.Problem;
import dev.rollguard.auth.Permission;
import dev.rollguard.config.Severity;
import dev.rollguard.incident.Alertmanager;
import dev.rollguard.incident.Incident;
import dev.rollguard.incident.IncidentService;
import dev.rollguard.incident.Notification;
import dev.rollguard.web.ApiServer.IdOf;
import io.javalin.http.Context;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.rollguard.web.ApiServer.json;

/** Incidents, their timeline, action items and postmortems; the inbound Alertmanager webhook. */
public final class IncidentRoutes {
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record OpenBody(String service, String env, String title, String severity, String commander, String actor) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record NoteBody(String text, String actor) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record UpdateBody(String commander, String severity, String title, String actor) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ActionBody(String title, String owner, String due, String status, String actor) {}

    private IncidentRoutes() {}

    public static void register(ApiServer server, IncidentService incidents) {
        server.get("/api/v1/incidents", Permission.AUTHENTICATED, ctx -> json(ctx, incidents.incidents(ctx.queryParam("service"), ctx.queryParam("status"),
                Params.integer(ctx, "limit", 100, 1, 1000)).stream()
                .filter(i -> Access.can(ctx, Permission.READ, i.service())).toList()));
        server.post("/api/v1/incidents", Permission.AUTHENTICATED, ctx -> {
            OpenBody b = server.body(ctx, OpenBody.class);
            if (b.service() == null) throw Problem.badRequest("missing_service", "an incident needs a 'service'");
            Access.require(ctx, Permission.RELEASE, b.service());
            json(ctx.status(201), incidents.open(b.service(), b.env(), b.title(), b.severity() == null ? null : Severity.parse(b.severity()),
                    b.commander(), ConfigRoutes.actor(ctx, b.actor())));
        });
        server.get("/api/v1/incidents/{id}", Permission.READ, IdOf.INCIDENT, ctx -> json(ctx, view(incidents, id(ctx))));
        server.patch("/api/v1/incidents/{id}", Permission.RELEASE, IdOf.INCIDENT, ctx -> {
            UpdateBody b = server.body(ctx, UpdateBody.class);
            json(ctx, incidents.update(id(ctx), b.commander(), b.severity() == null ? null : Severity.parse(b.severity()), b.title(),
                    ConfigRoutes.actor(ctx, b.actor())));
        });
        server.post("/api/v1/incidents/{id}/notes", Permission.RELEASE, IdOf.INCIDENT, ctx -> {
            NoteBody b = server.body(ctx, NoteBody.class);
            json(ctx.status(201), incidents.note(id(ctx), ConfigRoutes.actor(ctx, b.actor()), b.text()));
        });
        server.post("/api/v1/incidents/{id}/acknowledge", Permission.RELEASE, IdOf.INCIDENT, ctx -> {
            NoteBody b = optional(server, ctx);
            json(ctx, incidents.acknowledge(id(ctx), ConfigRoutes.actor(ctx, b.actor())));
        });
        server.post("/api/v1/incidents/{id}/resolve", Permission.RELEASE, IdOf.INCIDENT, ctx -> {
            NoteBody b = optional(server, ctx);
            json(ctx, incidents.resolve(id(ctx), ConfigRoutes.actor(ctx, b.actor()), b.text()));
        });
        server.get("/api/v1/incidents/{id}/postmortem", Permission.READ, IdOf.INCIDENT, ctx -> {
            String md = incidents.postmortems().markdown(id(ctx), Params.flag(ctx, "fresh"));
            ctx.contentType("text/markdown; charset=utf-8").result(md);
        });
        server.put("/api/v1/incidents/{id}/postmortem", Permission.RELEASE, IdOf.INCIDENT, ctx -> {
            incidents.postmortems().save(id(ctx), server.bodyText(ctx), ConfigRoutes.actor(ctx, null));
            json(ctx, Map.of("saved", true));
        });
        server.get("/api/v1/incidents/{id}/actions", Permission.READ, IdOf.INCIDENT, ctx -> json(ctx, incidents.actions().list(id(ctx), ctx.queryParam("status"))));
        server.post("/api/v1/incidents/{id}/actions", Permission.RELEASE, IdOf.INCIDENT, ctx -> {
            ActionBody b = server.body(ctx, ActionBody.class);
            json(ctx.status(201), incidents.actions().add(id(ctx), b.title(), b.owner(), b.due(), ConfigRoutes.actor(ctx, b.actor())));
        });
        server.get("/api/v1/actions", Permission.AUTHENTICATED, ctx -> json(ctx, incidents.actions().list(null, ctx.queryParam("status")).stream()
                .filter(a -> Access.can(ctx, Permission.READ, incidents.incident(a.incidentId()).service())).toList()));
        server.patch("/api/v1/actions/{id}", Permission.RELEASE, IdOf.ACTION_ITEM, ctx -> {
            ActionBody b = server.body(ctx, ActionBody.class);
            json(ctx, incidents.actions().update(id(ctx), b.title(), b.owner(), b.due(), b.status()));
        });
        server.post("/api/v1/alerts/alertmanager", Permission.AUTHENTICATED, ctx -> {
            Alertmanager.Payload p = Alertmanager.parse(server.bodyText(ctx), ctx.queryParam("service"), ctx.queryParam("env"));
            for (Alertmanager.Alert a : p.alerts()) Access.require(ctx, Permission.RELEASE, a.service());
            json(ctx, Map.of("incidents", incidents.alertmanager(p, "alertmanager")));
        });
    }

    private static NoteBody optional(ApiServer server, Context ctx) {
        String text = server.bodyText(ctx);
        return text.isBlank() ? new NoteBody(null, null) : ApiServer.parse(text, NoteBody.class);
    }

    private static int id(Context ctx) {
        String raw = ctx.pathParam("id");
        try {
            return Integer.parseInt(raw.startsWith("INC-") ? raw.substring(4) : raw);
        } catch (NumberFormatException e) {
            throw Problem.badRequest("invalid_id", "'" + raw + "' is not an id (a number)");
        }
    }

    static Map<String, Object> view(IncidentService incidents, int id) {
        Incident i = incidents.incident(id);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("incident", i);
        m.put("timeline", incidents.timeline(id));
        m.put("actions", incidents.actions().list(id, null));
        List<Map<String, Object>> notes = incidents.notifications(id).stream().map(IncidentRoutes::notification).toList();
        m.put("notifications", notes);
        return m;
    }

    private static Map<String, Object> notification(Notification n) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("channel", n.channel());
        m.put("kind", n.kind());
        m.put("action", n.action());
        m.put("status", n.status());
        m.put("attempts", n.attempts());
        m.put("createdAt", n.createdAt());
        m.put("sentAt", n.sentAt());
        m.put("nextAttemptAt", n.status() == Notification.Status.PENDING ? n.nextAttemptAt() : null);
        m.put("lastError", n.lastError());
        return m;
    }
}
