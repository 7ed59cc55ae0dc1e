package dev.rollguard.web;

import dev.rollguard.Problem;
import dev.rollguard.auth.Permission;
import io.javalin.http.Context;
import io.javalin.http.Handler;

import java.io.IOException;
import java.io.InputStream;

import static dev.rollguard.web.Html.esc;

/** What every dashboard page shares: the layout around a page, live fragments, static assets, buttons. */
final class Pages {
    static final String HTMX = "/webjars/htmx.org/2.0.4/dist/htmx.min.js";
    static final String UPLOT_JS = "/webjars/uplot/1.6.30/dist/uPlot.iife.min.js";
    static final String UPLOT_CSS = "/webjars/uplot/1.6.30/dist/uPlot.min.css";

    private Pages() {}

    interface Page {
        String render(Context ctx, StringBuilder head);
    }

    /** A handler that says what it answers, so the route knows it is a page or a fragment (sign-in sends people there). */
    record Surfaced(ApiServer.Surface surface, Handler handler) implements Handler {
        @Override
        public void handle(Context ctx) throws Exception {
            handler.handle(ctx);
        }
    }

    static Handler page(Page p) {
        return new Surfaced(ApiServer.Surface.PAGE, ctx -> {
            StringBuilder head = new StringBuilder();
            String body;
            try {
                body = p.render(ctx, head);
            } catch (Problem e) {
                ctx.status(e.status());
                body = "<h1>" + esc(e.status() == 404 ? "Not found" : "Cannot show this") + "</h1><p class=\"error\">" + esc(e.getMessage())
                        + "</p><p><a href=\"/\">Back to the overview</a></p>";
                head.setLength(0);
                head.append("Error");
            }
            String title = head.length() == 0 ? "Rollguard" : head + " · Rollguard";
            var who = Access.principal(ctx);
            String csrf = Access.csrf(ctx);
            String user = who == null ? "" : "<span class=\"user\">" + esc(who.name()) + "</span>"
                    + (csrf == null ? "" : "<button class=\"link\" hx-post=\"/logout\" hx-swap=\"none\">Sign out</button>");
            boolean admin = who != null && who.can(Permission.ADMIN, null);
            ctx.contentType("text/html; charset=utf-8").result("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" + esc(title) + "</title>"
                    + (csrf == null ? "" : "<meta name=\"csrf-token\" content=\"" + esc(csrf) + "\">")
                    + "<link rel=\"stylesheet\" href=\"/ui/app.css\"><link rel=\"stylesheet\" href=\"" + UPLOT_CSS + "\">"
                    + "<script src=\"" + HTMX + "\" defer></script><script src=\"" + UPLOT_JS + "\" defer></script>"
                    + "<script src=\"/ui/app.js\" defer></script></head><body>"
                    + "<header><a class=\"brand\" href=\"/\">Rollguard</a><nav aria-label=\"Main\"><a href=\"/\">Services</a>"
                    + "<a href=\"/incidents\">Incidents</a><a href=\"/activity\">Activity</a>" + (admin ? "<a href=\"/audit\">Audit log</a>" : "")
                    + "</nav>" + user + "</header>"
                    + "<div id=\"toast\" role=\"alert\" aria-live=\"assertive\"></div><main>" + body + "</main></body></html>");
        });
    }

    interface Fragment {
        String render(Context ctx);
    }

    static Handler fragment(Fragment f) {
        return new Surfaced(ApiServer.Surface.FRAGMENT, ctx -> {
            try {
                ctx.contentType("text/html; charset=utf-8").result(f.render(ctx));
            } catch (Problem e) {
                ctx.status(e.status()).contentType("text/html; charset=utf-8").result("<p class=\"error\">" + esc(e.getMessage()) + "</p>");
            }
        });
    }

    static void asset(Context ctx, String resource, String type) throws IOException {
        try (InputStream in = Pages.class.getResourceAsStream(resource)) {
            if (in == null) throw Problem.notFound("not_found", "no asset " + resource);
            ctx.header("Cache-Control", "public, max-age=3600").contentType(type + "; charset=utf-8").result(in.readAllBytes());
        }
    }

    static int intParam(Context ctx, String name) {
        try {
            return Integer.parseInt(ctx.pathParam(name));
        } catch (NumberFormatException e) {
            throw Problem.badRequest("invalid_" + name, "'" + ctx.pathParam(name) + "' is not a number");
        }
    }

    static String button(String post, String label, String confirm, String cls) {
        return "<button class=\"" + cls + "\" hx-post=\"" + esc(post) + "\" hx-swap=\"none\""
                + (confirm == null ? "" : " hx-confirm=\"" + esc(confirm) + "\"") + ">" + esc(label) + "</button>";
    }
}
