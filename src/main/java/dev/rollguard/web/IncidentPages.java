package dev.rollguard.web;

import dev.rollguard.auth.Permission;
import dev.rollguard.incident.ActionItem;
import dev.rollguard.incident.Impact;
import dev.rollguard.incident.Incident;
import dev.rollguard.incident.IncidentService;
import dev.rollguard.incident.Notification;
import dev.rollguard.incident.TimelineEntry;
import dev.rollguard.web.ApiServer.IdOf;
import io.javalin.http.Context;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

import java.util.List;

import static dev.rollguard.web.Html.badge;
import static dev.rollguard.web.Html.esc;
import static dev.rollguard.web.Html.url;
import static dev.rollguard.web.Pages.button;
import static dev.rollguard.web.Pages.intParam;

/** The dashboard's incident pages: the list, one incident with its live timeline, and its postmortem. */
final class IncidentPages {
    private static final Parser MARKDOWN = Parser.builder().extensions(List.of(TablesExtension.create())).build();
    private static final HtmlRenderer RENDERER = HtmlRenderer.builder().extensions(List.of(TablesExtension.create()))
            .escapeHtml(true).sanitizeUrls(true).build();

    private final IncidentService incidents;

    private IncidentPages(IncidentService incidents) {
        this.incidents = incidents;
    }

    static void register(ApiServer server, IncidentService incidents) {
        IncidentPages p = new IncidentPages(incidents);
        server.get("/incidents", Permission.AUTHENTICATED, Pages.page(p::list));
        server.get("/incidents/{id}", Permission.READ, IdOf.INCIDENT, Pages.page(p::incident));
        server.get("/ui/incidents/{id}/live", Permission.READ, IdOf.INCIDENT, Pages.fragment(p::fragment));
        server.get("/incidents/{id}/postmortem", Permission.READ, IdOf.INCIDENT, Pages.page(p::postmortem));
    }

    static String link(Incident i) {
        return "<a href=\"/incidents/" + i.id() + "\">#" + i.id() + " " + esc(i.title()) + "</a> " + badge(i.severity()) + " "
                + badge(i.status()) + " <span class=\"muted\">" + esc(i.service()) + (i.env() == null ? "" : "/" + esc(i.env())) + "</span>";
    }

    private String list(Context ctx, StringBuilder head) {
        head.append("Incidents");
        List<Incident> list = incidents.incidents(ctx.queryParam("service"), ctx.queryParam("status"), 200).stream()
                .filter(i -> Access.can(ctx, Permission.READ, i.service())).toList();
        StringBuilder b = new StringBuilder("<h1>Incidents</h1>");
        if (list.isEmpty()) return b.append("<p class=\"muted\">No incidents.</p>").toString();
        b.append("<table><thead><tr><th scope=\"col\">#</th><th scope=\"col\">title</th><th scope=\"col\">severity</th><th scope=\"col\">status</th>"
                + "<th scope=\"col\">service</th><th scope=\"col\">opened</th><th scope=\"col\">failed requests</th><th scope=\"col\">time to mitigate</th>"
                + "</tr></thead><tbody>");
        for (Incident i : list) {
            Impact im = i.impact();
            b.append("<tr><td>").append(i.id()).append("</td><td><a href=\"/incidents/").append(i.id()).append("\">").append(esc(i.title()))
                    .append("</a></td><td>").append(badge(i.severity())).append("</td><td>").append(badge(i.status())).append("</td><td>")
                    .append(esc(i.service())).append(i.env() == null ? "" : "/" + esc(i.env())).append("</td><td>").append(Html.time(i.openedAt()))
                    .append("</td><td>").append(im == null ? "—" : im.requestsFailed() + " of " + im.requestsTotal()).append("</td><td>")
                    .append(im == null ? "—" : Html.millis(im.timeToMitigateMillis())).append("</td></tr>");
        }
        return b.append("</tbody></table>").toString();
    }

    private String incident(Context ctx, StringBuilder head) {
        int id = intParam(ctx, "id");
        Incident i = incidents.incident(id);
        head.append("Incident #").append(id);
        return "<h1>Incident #" + id + ": " + esc(i.title()) + "</h1><div hx-get=\"/ui/incidents/" + id + "/live\" hx-trigger=\"every 2s\">"
                + fragment(ctx) + "</div>"
                + "<section aria-label=\"Add a note\"><h2>Add a note</h2><form class=\"inline\" hx-post=\"/api/v1/incidents/" + id
                + "/notes\" hx-ext=\"json-form\" hx-swap=\"none\" data-reset><label for=\"note\">Note</label><input id=\"note\" name=\"text\" "
                + "required placeholder=\"what you saw or did\"><button>Add note</button></form></section>"
                + "<section aria-label=\"Add an action item\"><h2>Add an action item</h2><form class=\"inline\" hx-post=\"/api/v1/incidents/" + id
                + "/actions\" hx-ext=\"json-form\" hx-swap=\"none\" data-reset><label for=\"a-title\">Action</label><input id=\"a-title\" "
                + "name=\"title\" required><label for=\"a-owner\">Owner</label><input id=\"a-owner\" name=\"owner\"><label for=\"a-due\">Due</label>"
                + "<input id=\"a-due\" name=\"due\" type=\"date\"><button>Add action item</button></form></section>";
    }

    private String fragment(Context ctx) {
        int id = intParam(ctx, "id");
        Incident i = incidents.incident(id);
        StringBuilder b = new StringBuilder("<div class=\"status\">").append(badge(i.severity())).append(' ').append(badge(i.status()))
                .append(" · ").append(esc(i.service())).append(i.env() == null ? "" : " / " + esc(i.env())).append(" · opened ")
                .append(Html.time(i.openedAt())).append(" by ").append(esc(i.openedBy()));
        if (i.commander() != null) b.append(" · commander ").append(esc(i.commander()));
        if (i.rolloutId() != null) b.append(" · <a href=\"/rollouts/").append(url(i.rolloutId())).append("\">the rollout</a>");
        b.append("</div><div class=\"buttons\">");
        if (i.acknowledgedAt() == null && i.active()) b.append(button("/api/v1/incidents/" + id + "/acknowledge", "Acknowledge", null, ""));
        if (i.active()) b.append(button("/api/v1/incidents/" + id + "/resolve", "Resolve", "Resolve incident #" + id + "?", ""));
        b.append("<a class=\"button\" href=\"/incidents/").append(id).append("/postmortem\">Postmortem</a></div>");
        Impact im = i.impact();
        if (im != null) {
            b.append("<h2>Impact</h2><dl class=\"facts impact\"><dt>requests failed</dt><dd data-impact=\"requestsFailed\">").append(im.requestsFailed())
                    .append("</dd><dt>of</dt><dd>").append(im.requestsTotal()).append(" (").append(Html.percent(im.percentFailed())).append(")</dd>")
                    .append("<dt>peak traffic affected</dt><dd>").append(Html.percent(im.peakPercent())).append("</dd><dt>hosts affected</dt><dd>")
                    .append(im.hostsAffected()).append(" of ").append(im.hostsTotal()).append("</dd><dt>first error</dt><dd>")
                    .append(Html.time(im.firstErrorAt())).append("</dd><dt>time to detect</dt><dd>").append(Html.millis(im.timeToDetectMillis()))
                    .append("</dd><dt>time to mitigate</dt><dd>").append(Html.millis(im.timeToMitigateMillis())).append("</dd><dt>time to recover</dt><dd>")
                    .append(Html.millis(im.timeToRecoverMillis())).append("</dd></dl>");
        }
        b.append("<h2>Timeline</h2><ol class=\"timeline\">");
        for (TimelineEntry t : incidents.timeline(id)) {
            b.append("<li class=\"tl-").append(esc(t.type())).append("\">").append(Html.clock(t.at())).append(' ').append(badge(t.type()))
                    .append(" <span class=\"muted\">[").append(esc(t.source())).append("]</span> ").append(esc(t.message())).append("</li>");
        }
        b.append("</ol>");
        List<ActionItem> actions = incidents.actions().list(id, null);
        b.append("<h2>Action items</h2>");
        if (actions.isEmpty()) b.append("<p class=\"muted\">None yet.</p>");
        else {
            b.append("<ul class=\"actions\">");
            for (ActionItem a : actions) {
                b.append("<li>").append(badge(a.status())).append(' ').append(esc(a.title())).append(a.owner() == null ? "" : " — " + esc(a.owner()))
                        .append(a.due() == null ? "" : ", due " + esc(a.due()));
                if (a.status() == ActionItem.Status.OPEN) {
                    b.append(" <button hx-patch=\"/api/v1/actions/").append(a.id()).append("\" hx-vals='{\"status\": \"done\"}' hx-ext=\"json-form\" "
                            + "hx-swap=\"none\">Mark done</button>");
                }
                b.append("</li>");
            }
            b.append("</ul>");
        }
        List<Notification> notes = incidents.notifications(id);
        if (!notes.isEmpty()) {
            b.append("<h2>Notifications</h2><table><thead><tr><th scope=\"col\">channel</th><th scope=\"col\">event</th><th scope=\"col\">status</th>"
                    + "<th scope=\"col\">attempts</th><th scope=\"col\">sent</th><th scope=\"col\">last error</th></tr></thead><tbody>");
            for (Notification n : notes) {
                b.append("<tr><td>").append(esc(n.channel())).append(" (").append(esc(n.kind().name().toLowerCase())).append(")</td><td>")
                        .append(esc(n.action())).append("</td><td>").append(badge(n.status())).append("</td><td>").append(n.attempts())
                        .append("</td><td>").append(Html.time(n.sentAt())).append("</td><td>").append(esc(n.lastError())).append("</td></tr>");
            }
            b.append("</tbody></table>");
        }
        return b.toString();
    }

    private String postmortem(Context ctx, StringBuilder head) {
        int id = intParam(ctx, "id");
        incidents.incident(id);
        head.append("Postmortem #").append(id);
        String md = incidents.postmortems().markdown(id, false);
        boolean saved = incidents.postmortems().saved(id);
        return "<p class=\"crumbs\"><a href=\"/incidents/" + id + "\">Incident #" + id + "</a> · <a href=\"/api/v1/incidents/" + id
                + "/postmortem\">Markdown</a>" + (saved ? " · <span class=\"muted\">edited, saved</span>" : " · <span class=\"muted\">draft from the facts</span>")
                + "</p><article class=\"postmortem\">" + RENDERER.render(MARKDOWN.parse(md)) + "</article>"
                + "<section aria-label=\"Edit the postmortem\"><h2>Edit</h2><form id=\"pm-form\" data-put=\"/api/v1/incidents/" + id + "/postmortem\">"
                + "<label for=\"pm\">Markdown</label><textarea id=\"pm\" name=\"markdown\" rows=\"24\">" + esc(md) + "</textarea>"
                + "<button>Save postmortem</button></form></section>";
    }
}
