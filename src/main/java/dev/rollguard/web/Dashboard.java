package dev.rollguard.web;

import dev.rollguard.audit.AuditLog;
import dev.rollguard.auth.Permission;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.TreeDiff;
import dev.rollguard.health.Counts;
import dev.rollguard.incident.Incident;
import dev.rollguard.incident.IncidentService;
import dev.rollguard.rollout.EventData;
import dev.rollguard.rollout.EventRecord;
import dev.rollguard.rollout.HostInfo;
import dev.rollguard.rollout.HostObservation;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutService;
import dev.rollguard.validate.Finding;
import dev.rollguard.versions.ConfigService;
import dev.rollguard.versions.EnvInfo;
import dev.rollguard.versions.VersionInfo;
import dev.rollguard.web.ApiServer.IdOf;
import io.javalin.http.Context;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

import static dev.rollguard.web.Html.badge;
import static dev.rollguard.web.Html.esc;
import static dev.rollguard.web.Html.url;
import static dev.rollguard.web.Pages.button;
import static dev.rollguard.web.Pages.fragment;
import static dev.rollguard.web.Pages.intParam;
import static dev.rollguard.web.Pages.page;

/**
 * The web dashboard: plain server-rendered pages; live parts are fragments htmx re-fetches every second, charts
 * are uPlot fed by the API. Buttons call the same API routes as the CLI, so they need the same rights.
 */
public final class Dashboard {
    private final ConfigService config;
    private final RolloutService rollouts;
    private final IncidentService incidents;
    private final Clock clock;
    private final AuditLog audit;

    private Dashboard(ConfigService config, RolloutService rollouts, IncidentService incidents, AuditLog audit, Clock clock) {
        this.audit = audit;
        this.config = config;
        this.rollouts = rollouts;
        this.incidents = incidents;
        this.clock = clock;
    }

    public static void register(ApiServer server, ConfigService config, RolloutService rollouts, IncidentService incidents,
                                AuditLog audit, Clock clock) {
        Dashboard d = new Dashboard(config, rollouts, incidents, audit, clock);
        server.get("/ui/app.css", Permission.PUBLIC, ctx -> Pages.asset(ctx, "/ui/app.css", "text/css"));
        server.get("/ui/app.js", Permission.PUBLIC, ctx -> Pages.asset(ctx, "/ui/app.js", "text/javascript"));
        server.get(Pages.HTMX, Permission.PUBLIC, ctx -> Pages.asset(ctx, "/META-INF/resources" + Pages.HTMX, "text/javascript"));
        server.get(Pages.UPLOT_JS, Permission.PUBLIC, ctx -> Pages.asset(ctx, "/META-INF/resources" + Pages.UPLOT_JS, "text/javascript"));
        server.get(Pages.UPLOT_CSS, Permission.PUBLIC, ctx -> Pages.asset(ctx, "/META-INF/resources" + Pages.UPLOT_CSS, "text/css"));
        server.get("/", Permission.AUTHENTICATED, page(d::overview));
        server.get("/services/{service}", Permission.READ, page(d::service));
        server.get("/services/{service}/versions/{number}", Permission.READ, page(d::version));
        server.get("/services/{service}/environments/{env}/hosts", Permission.READ, page(d::hosts));
        server.get("/ui/services/{service}/environments/{env}/hosts", Permission.READ, fragment(d::hostsFragment));
        server.get("/rollouts/{id}", Permission.READ, IdOf.ROLLOUT, page(d::rollout));
        server.get("/ui/rollouts/{id}/live", Permission.READ, IdOf.ROLLOUT, fragment(d::rolloutFragment));
        IncidentPages.register(server, incidents);
        server.get("/activity", Permission.AUTHENTICATED, page(d::activity));
        server.get("/audit", Permission.ADMIN, page(d::audit));
    }

    /** An environment's traffic over the last minute, whatever its hosts serve. */
    private Counts health(String service, String env) {
        return rollouts.traffic(service, env, clock.instant().minusSeconds(60));
    }

    private static String healthCell(Counts h) {
        if (h.requests() == 0) return "<span class=\"muted\">no traffic</span>";
        double p = h.errorPercent();
        String cls = p >= 5 ? "bad" : p > 0.5 ? "warn" : "good";
        return "<span class=\"health " + cls + "\">" + Html.percent(p) + " 5xx</span> <span class=\"muted\">of " + h.requests()
                + " req/min</span>";
    }

    // ------------------------------------------------------------------ services

    private String overview(Context ctx, StringBuilder head) {
        head.append("Services");
        StringBuilder b = new StringBuilder("<h1>Services</h1>");
        List<Incident> open = incidents.incidents(null, null, 50).stream().filter(Incident::active)
                .filter(i -> Access.can(ctx, Permission.READ, i.service())).toList();
        if (!open.isEmpty()) {
            b.append("<section class=\"alert\" aria-label=\"Open incidents\"><h2>Open incidents</h2><ul>");
            for (Incident i : open) b.append("<li>").append(IncidentPages.link(i)).append("</li>");
            b.append("</ul></section>");
        }
        List<String> names = config.services().stream().filter(s -> Access.can(ctx, Permission.READ, s)).toList();
        if (names.isEmpty()) {
            b.append("<p>No services yet. Create one with <code>rollguard service NAME</code> and push a config with "
                    + "<code>rollguard push DIR -s NAME -m MESSAGE</code>.</p>");
        }
        b.append("<table><caption class=\"sr-only\">Services and environments</caption><thead><tr><th scope=\"col\">service</th>"
                + "<th scope=\"col\">environment</th><th scope=\"col\">released</th><th scope=\"col\">hosts</th>"
                + "<th scope=\"col\">health (last minute)</th><th scope=\"col\">rollout</th></tr></thead><tbody>");
        for (String s : names) {
            List<EnvInfo> envs = config.environments(s);
            boolean first = true;
            for (EnvInfo e : envs) {
                b.append("<tr>");
                if (first) b.append("<th scope=\"row\" rowspan=\"").append(envs.size()).append("\"><a href=\"/services/").append(url(s))
                        .append("\">").append(esc(s)).append("</a></th>");
                first = false;
                List<HostInfo> hosts = rollouts.hosts(s, e.name());
                b.append("<td>").append(esc(e.name())).append("</td><td>").append(e.releasedVersion() == null ? "—"
                                : "<a href=\"/services/" + url(s) + "/versions/" + e.releasedVersion() + "\">v" + e.releasedVersion() + "</a>")
                        .append("</td><td><a href=\"/services/").append(url(s)).append("/environments/").append(url(e.name()))
                        .append("/hosts\">").append(hosts.size()).append(" host(s)</a></td><td>").append(healthCell(health(s, e.name())))
                        .append("</td><td>");
                rollouts.rollouts(s, e.name(), 1).stream().findFirst().ifPresent(r -> b.append(rolloutLink(r)));
                b.append("</td></tr>");
            }
        }
        b.append("</tbody></table>");
        return b.toString();
    }

    private String rolloutLink(Rollout r) {
        return "<a href=\"/rollouts/" + url(r.id()) + "\">v" + r.toVersion() + "</a> " + badge(r.state());
    }

    private String service(Context ctx, StringBuilder head) {
        String s = ctx.pathParam("service");
        ServiceSpec spec = config.service(s);
        head.append(s);
        StringBuilder b = new StringBuilder("<h1>").append(esc(s)).append("</h1>");
        if (spec.description() != null) b.append("<p>").append(esc(spec.description())).append("</p>");
        b.append("<h2>Environments</h2><table><thead><tr><th scope=\"col\">environment</th><th scope=\"col\">released</th>"
                + "<th scope=\"col\">since</th><th scope=\"col\">hosts</th><th scope=\"col\">health</th><th scope=\"col\">actions</th></tr></thead><tbody>");
        for (EnvInfo e : config.environments(s)) {
            b.append("<tr><td>").append(esc(e.name())).append("</td><td>").append(e.releasedVersion() == null ? "—" : "v" + e.releasedVersion())
                    .append("</td><td>").append(Html.time(e.releasedAt())).append("</td><td><a href=\"/services/").append(url(s))
                    .append("/environments/").append(url(e.name())).append("/hosts\">").append(rollouts.hosts(s, e.name()).size())
                    .append(" host(s)</a></td><td>").append(healthCell(health(s, e.name()))).append("</td><td>");
            if (e.releasedVersion() != null) {
                b.append("<button class=\"danger\" hx-post=\"/api/v1/services/").append(url(s)).append("/environments/").append(url(e.name()))
                        .append("/rollback\" hx-swap=\"none\" hx-confirm=\"Roll ").append(esc(s)).append(" in ").append(esc(e.name()))
                        .append(" back to the previous version on every host now?\" data-reload>Roll back ").append(esc(e.name()))
                        .append("</button>");
            }
            b.append("</td></tr>");
        }
        b.append("</tbody></table>");
        b.append("<h2>Rollouts</h2>").append(rolloutTable(rollouts.rollouts(s, null, 20)));
        b.append("<h2>Versions</h2><table><thead><tr><th scope=\"col\">version</th><th scope=\"col\">author</th><th scope=\"col\">message</th>"
                + "<th scope=\"col\">when</th><th scope=\"col\">findings</th><th scope=\"col\">flags</th></tr></thead><tbody>");
        for (VersionInfo v : config.versions(s, 50)) {
            b.append("<tr><td><a href=\"/services/").append(url(s)).append("/versions/").append(v.number()).append("\">v").append(v.number())
                    .append("</a></td><td>").append(esc(v.author())).append("</td><td>").append(esc(v.message()))
                    .append(v.git() == null ? "" : " <span class=\"muted\">" + esc(v.git().describe()) + "</span>").append("</td><td>")
                    .append(Html.time(v.createdAt())).append("</td><td>").append(findingsSummary(v)).append("</td><td>").append(flags(v))
                    .append("</td></tr>");
        }
        b.append("</tbody></table>");
        List<Incident> list = incidents.incidents(s, null, 20);
        if (!list.isEmpty()) {
            b.append("<h2>Incidents</h2><ul>");
            for (Incident i : list) b.append("<li>").append(IncidentPages.link(i)).append("</li>");
            b.append("</ul>");
        }
        return b.toString();
    }

    private static String findingsSummary(VersionInfo v) {
        if (v.report() == null || v.report().findings().isEmpty()) return "<span class=\"health good\">clean</span>";
        return "<span class=\"health " + (v.report().errors() > 0 ? "bad" : "warn") + "\">" + v.report().errors() + " error(s), "
                + v.report().warnings() + " warning(s)</span>";
    }

    private static String flags(VersionInfo v) {
        StringBuilder f = new StringBuilder();
        if (v.bad()) f.append(badge("bad")).append(' ');
        if (v.breakGlass() != null) f.append(badge("break-glass")).append(' ');
        if (v.highRisk()) f.append(badge("high-risk")).append(' ');
        if (!v.releasable()) f.append(badge("not-releasable"));
        return f.toString();
    }

    private String rolloutTable(List<Rollout> list) {
        if (list.isEmpty()) return "<p class=\"muted\">No rollouts yet.</p>";
        StringBuilder b = new StringBuilder("<table><thead><tr><th scope=\"col\">rollout</th><th scope=\"col\">environment</th>"
                + "<th scope=\"col\">change</th><th scope=\"col\">state</th><th scope=\"col\">started</th><th scope=\"col\">by</th>"
                + "<th scope=\"col\">reason</th></tr></thead><tbody>");
        for (Rollout r : list) {
            b.append("<tr><td><a href=\"/rollouts/").append(url(r.id())).append("\">").append(esc(r.id().substring(0, 8))).append("</a></td><td>")
                    .append(esc(r.env())).append("</td><td>").append(r.fromVersion() == null ? "none" : "v" + r.fromVersion()).append(" → v")
                    .append(r.toVersion()).append("</td><td>").append(badge(r.state())).append("</td><td>").append(Html.time(r.createdAt()))
                    .append("</td><td>").append(esc(r.actor())).append(r.breakGlass() == null ? "" : " " + badge("break-glass"))
                    .append("</td><td>").append(esc(r.reason())).append("</td></tr>");
        }
        return b.append("</tbody></table>").toString();
    }

    private String version(Context ctx, StringBuilder head) {
        String s = ctx.pathParam("service");
        int n = intParam(ctx, "number");
        VersionInfo v = config.version(s, n);
        head.append(s).append(" v").append(n);
        StringBuilder b = new StringBuilder("<p class=\"crumbs\"><a href=\"/services/").append(url(s)).append("\">").append(esc(s))
                .append("</a></p><h1>v").append(n).append(" <small>").append(esc(v.message())).append("</small></h1>");
        b.append("<dl class=\"facts\"><dt>author</dt><dd>").append(esc(v.author())).append("</dd><dt>pushed</dt><dd>").append(Html.time(v.createdAt()))
                .append("</dd><dt>parent</dt><dd>").append(v.parent() == null ? "—" : "v" + v.parent()).append("</dd><dt>files</dt><dd>")
                .append(v.fileCount()).append(" (").append(v.totalBytes()).append(" bytes)</dd><dt>flags</dt><dd>").append(flags(v)).append("</dd>");
        if (v.git() != null) {
            b.append("<dt>git</dt><dd>").append(esc(v.git().describe())).append(" <code>").append(esc(v.git().commit()))
                    .append("</code>: ").append(esc(v.git().subject())).append("</dd>");
        }
        if (v.breakGlass() != null) b.append("<dt>break-glass</dt><dd>").append(esc(v.breakGlass())).append("</dd>");
        if (v.bad()) b.append("<dt>marked bad</dt><dd>").append(esc(v.badReason())).append("</dd>");
        b.append("</dl><h2>Validator findings</h2>");
        List<Finding> findings = v.report() == null ? List.of() : v.report().findings();
        if (findings.isEmpty()) b.append("<p class=\"health good\">No findings.</p>");
        else {
            b.append("<ul class=\"findings\">");
            for (Finding f : findings) {
                b.append("<li class=\"").append(f.severity().name().toLowerCase()).append("\"><code>").append(esc(f.path()))
                        .append(f.line() > 0 ? ":" + f.line() : "").append(f.column() > 0 ? ":" + f.column() : "").append("</code> ")
                        .append(badge(f.severity())).append(' ').append(esc(f.message())).append(" <span class=\"muted\">[")
                        .append(esc(f.rule())).append("]</span>");
                if (f.suggestion() != null) b.append("<div class=\"suggestion\">").append(esc(f.suggestion())).append("</div>");
                b.append("</li>");
            }
            b.append("</ul>");
        }
        if (v.parent() != null) {
            b.append("<h2>Changes from v").append(v.parent()).append("</h2>").append(diff(config.diff(s, v.parent(), n)));
        }
        return b.toString();
    }

    private static final Pattern BINARY_DIFF_HEADER = Pattern.compile("diff |old: |new: |Binary files ");

    private static String diff(List<TreeDiff.FileDiff> diffs) {
        if (diffs.isEmpty()) return "<p class=\"muted\">No changes.</p>";
        StringBuilder b = new StringBuilder();
        for (TreeDiff.FileDiff d : diffs) {
            b.append("<details open><summary><code>").append(esc(d.path())).append("</code> ").append(badge(d.status()))
                    .append(" <span class=\"add\">+").append(d.additions()).append("</span> <span class=\"del\">−").append(d.deletions())
                    .append("</span></summary><pre class=\"diff\">");
            String[] lines = d.unified().split("\n");
            for (int i = 0; i < Math.min(lines.length, 2000); i++) {
                String l = lines[i];
                // a binary file's block ("diff …", "old: …", "new: …", "Binary files … differ") is all header
                String cls = l.startsWith("+++") || l.startsWith("---") || BINARY_DIFF_HEADER.matcher(l).lookingAt() ? "meta"
                        : l.startsWith("+") ? "add" : l.startsWith("-") ? "del"
                        : l.startsWith("@@") ? "hunk" : "";
                b.append("<span class=\"").append(cls).append("\">").append(esc(l)).append("</span>\n");
            }
            b.append("</pre></details>");
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ hosts

    private String hosts(Context ctx, StringBuilder head) {
        String s = ctx.pathParam("service");
        String env = ctx.pathParam("env");
        config.service(s);
        head.append(s).append(" / ").append(env).append(" hosts");
        return "<p class=\"crumbs\"><a href=\"/services/" + url(s) + "\">" + esc(s) + "</a></p><h1>Hosts of " + esc(s) + " in " + esc(env)
                + "</h1><div hx-get=\"/ui/services/" + url(s) + "/environments/" + url(env) + "/hosts\" hx-trigger=\"load, every 1s\">"
                + hostsFragment(ctx) + "</div>";
    }

    private String hostsFragment(Context ctx) {
        String s = ctx.pathParam("service");
        String env = ctx.pathParam("env");
        Instant now = clock.instant();
        Integer released = config.released(s, env);
        Duration heartbeat = config.service(s).rollout().heartbeatTimeout();
        StringBuilder b = new StringBuilder("<table><thead><tr><th scope=\"col\">host</th><th scope=\"col\">applied</th><th scope=\"col\">desired</th>"
                + "<th scope=\"col\">last heartbeat</th><th scope=\"col\">5xx (last minute)</th><th scope=\"col\">apply error</th></tr></thead><tbody>");
        for (HostInfo h : rollouts.hosts(s, env)) {
            boolean alive = h.alive(now, heartbeat);
            var counts = rollouts.traffic(s, env, h.host(), now.minusSeconds(60));
            b.append("<tr data-host=\"").append(esc(h.host())).append("\"><th scope=\"row\">").append(esc(h.host())).append("</th><td>")
                    .append(h.appliedVersion() == null ? "—" : "v" + h.appliedVersion())
                    .append(Objects.equals(h.appliedVersion(), released) ? "" : " " + badge("differs")).append("</td><td>")
                    .append(h.desiredVersion() == null ? "—" : "v" + h.desiredVersion()).append("</td><td>")
                    .append(alive ? "" : badge("silent") + " ").append(Html.ago(h.lastSeen(), now)).append("</td><td>")
                    .append(healthCell(counts)).append("</td><td>").append(esc(h.applyError()))
                    .append("</td></tr>");
        }
        return b.append("</tbody></table>").toString();
    }

    // ------------------------------------------------------------------ rollouts

    private String rollout(Context ctx, StringBuilder head) {
        Rollout r = rollouts.rollout(ctx.pathParam("id"));
        head.append("Rollout v").append(r.toVersion()).append(" to ").append(r.env());
        return "<p class=\"crumbs\"><a href=\"/services/" + url(r.service()) + "\">" + esc(r.service()) + "</a></p>"
                + "<h1>Rollout of v" + r.toVersion() + " to " + esc(r.env()) + "</h1>"
                + "<div id=\"live\" hx-get=\"/ui/rollouts/" + url(r.id()) + "/live\" hx-trigger=\"every 1s\">" + rolloutFragment(ctx) + "</div>"
                + "<section aria-label=\"Charts\"><h2>Canary vs baseline</h2><div class=\"charts\" data-series=\"/api/v1/rollouts/"
                + url(r.id()) + "/series\"><figure><figcaption>5xx rate, %</figcaption><div class=\"chart\" data-chart=\"errors\"></div></figure>"
                + "<figure><figcaption>p99 latency, ms</figcaption><div class=\"chart\" data-chart=\"latency\"></div></figure></div></section>";
    }

    private String rolloutFragment(Context ctx) {
        Rollout r = rollouts.rollout(ctx.pathParam("id"));
        StringBuilder b = new StringBuilder();
        b.append("<div class=\"status\" data-state=\"").append(r.state()).append("\">").append(badge(r.state())).append(" wave ")
                .append(Math.min(r.wave() + 1, r.targets().length)).append(" of ").append(r.targets().length).append(" · v")
                .append(r.fromVersion() == null ? "none" : r.fromVersion()).append(" → v").append(r.toVersion()).append(" · started by ")
                .append(esc(r.actor())).append(' ').append(Html.time(r.createdAt()));
        if (r.breakGlass() != null) b.append(" · ").append(badge("break-glass")).append(' ').append(esc(r.breakGlass()));
        b.append("</div>");
        if (r.reason() != null) b.append("<p class=\"reason\">").append(esc(r.reason())).append("</p>");
        String api = "/api/v1/rollouts/" + url(r.id()) + "/";
        b.append("<div class=\"buttons\">");
        if (r.state() == Rollout.State.RUNNING) b.append(button(api + "pause", "Pause", null, ""));
        if (r.state() == Rollout.State.PAUSED) b.append(button(api + "resume", "Resume", null, ""));
        if (!r.state().terminal()) b.append(button(api + "abort", "Abort", "Abort and put every host back on the old version?", "danger"));
        if (r.state() != Rollout.State.ROLLED_BACK && r.state() != Rollout.State.ABORTED && r.fromVersion() != null) {
            b.append(button(api + "rollback", "Roll back", "Roll every host back to v" + r.fromVersion() + " and mark v" + r.toVersion() + " bad?", "danger"));
        }
        b.append("</div>");

        int[] targets = r.targets();
        b.append("<ol class=\"waves\" aria-label=\"Waves\">");
        for (int w = 0; w < targets.length; w++) {
            String state = w < r.wave() || r.state() == Rollout.State.COMPLETE ? "passed"
                    : w == r.wave() ? (r.state() == Rollout.State.ROLLED_BACK || r.state() == Rollout.State.ABORTED ? "failed" : "current") : "waiting";
            b.append("<li class=\"").append(state).append("\">wave ").append(w + 1).append(": ").append(targets[w]).append(" host(s) · ")
                    .append(state).append("</li>");
        }
        b.append("</ol><h2>Hosts</h2><ul class=\"hosts\" aria-label=\"Hosts by version and health\">");
        for (HostObservation o : rollouts.observe(r)) {
            boolean onNew = Objects.equals(o.appliedVersion(), r.toVersion());
            boolean failing = o.health() != null && o.health().errors() > 0 && onNew;
            String cls = (onNew ? "new" : "old") + (failing ? " failing" : "");
            b.append("<li class=\"host ").append(cls).append("\" title=\"").append(esc(o.host())).append(": v")
                    .append(o.appliedVersion() == null ? "none" : o.appliedVersion()).append(o.health() == null ? "" : ", " + o.health().requests()
                            + " requests, " + o.health().errors() + " 5xx").append("\"><span>").append(esc(o.host())).append("</span><small>v")
                    .append(o.appliedVersion() == null ? "–" : o.appliedVersion()).append("</small></li>");
        }
        b.append("</ul><h2>Decisions and events</h2><table class=\"events\"><thead><tr><th scope=\"col\">time (UTC)</th><th scope=\"col\">event</th>"
                + "<th scope=\"col\">what</th><th scope=\"col\">numbers</th></tr></thead><tbody>");
        List<EventRecord> events = new ArrayList<>(rollouts.events(r.service(), r.id(), 500));
        events.sort(Comparator.comparing(EventRecord::at).reversed());
        for (EventRecord e : events) {
            b.append("<tr class=\"ev-").append(esc(e.type())).append("\"><td>").append(Html.clock(e.at())).append("</td><td>")
                    .append(badge(e.type())).append("</td><td>").append(esc(e.message())).append("</td><td class=\"numbers\">")
                    .append(numbers(e.data())).append("</td></tr>");
        }
        b.append("</tbody></table>");
        incidents.incidents(r.service(), null, 20).stream().filter(i -> r.id().equals(i.rolloutId())).findFirst()
                .ifPresent(i -> b.append("<p class=\"alert\">Incident: ").append(IncidentPages.link(i)).append("</p>"));
        return b.toString();
    }

    private static String numbers(EventData data) {
        if (data == null || data.isEmpty()) return "";
        StringBuilder b = new StringBuilder();
        data.forEach((k, v) -> b.append("<span><b>").append(esc(k)).append("</b> ").append(esc(v)).append("</span> "));
        return b.toString();
    }

    // ------------------------------------------------------------------ activity

    private String audit(Context ctx, StringBuilder head) {
        head.append("Audit log");
        var v = audit.verify();
        StringBuilder b = new StringBuilder("<h1>Audit log</h1><p class=\"").append(v.ok() ? "health good" : "error").append("\" data-verified=\"")
                .append(v.ok()).append("\">").append(v.ok() ? "Chain intact: " + v.records() + " record(s), head " + esc(v.headHash().substring(0, 16)) + "…"
                        : "Chain BROKEN: " + esc(v.problem())).append("</p><table><thead><tr><th scope=\"col\">#</th><th scope=\"col\">time (UTC)</th>"
                        + "<th scope=\"col\">who</th><th scope=\"col\">from</th><th scope=\"col\">action</th><th scope=\"col\">status</th>"
                        + "<th scope=\"col\">after</th></tr></thead><tbody>");
        long total = v.records();
        List<AuditLog.Entry> recent = new ArrayList<>(audit.entries(Math.max(0, total - 200), 200));
        Collections.reverse(recent);
        for (var e : recent) {
            b.append("<tr><td>").append(e.seq()).append("</td><td>").append(Html.time(e.at())).append("</td><td>").append(esc(e.actor()))
                    .append("</td><td>").append(esc(e.source())).append("</td><td><code>").append(esc(e.action())).append("</code> ")
                    .append(esc(e.target())).append("</td><td>").append(e.status()).append("</td><td class=\"numbers\">")
                    .append(esc(e.after() == null ? "" : e.after().length() > 200 ? e.after().substring(0, 200) + "…" : e.after())).append("</td></tr>");
        }
        return b.append("</tbody></table>").toString();
    }

    private String activity(Context ctx, StringBuilder head) {
        head.append("Activity");
        StringBuilder b = new StringBuilder("<h1>Activity</h1><table><thead><tr><th scope=\"col\">time (UTC)</th><th scope=\"col\">service</th>"
                + "<th scope=\"col\">environment</th><th scope=\"col\">event</th><th scope=\"col\">what</th></tr></thead><tbody>");
        List<EventRecord> all = new ArrayList<>();
        for (String s : config.services()) {
            if (Access.can(ctx, Permission.READ, s)) all.addAll(rollouts.events(s, null, 100));
        }
        all.sort(Comparator.comparing(EventRecord::at).reversed());
        for (EventRecord e : all.subList(0, Math.min(200, all.size()))) {
            b.append("<tr><td>").append(Html.time(e.at())).append("</td><td>").append(esc(e.service())).append("</td><td>").append(esc(e.env()))
                    .append("</td><td>").append(badge(e.type())).append("</td><td>").append(e.rolloutId() == null ? esc(e.message())
                            : "<a href=\"/rollouts/" + url(e.rolloutId()) + "\">" + esc(e.message()) + "</a>").append("</td></tr>");
        }
        return b.append("</tbody></table>").toString();
    }

}
