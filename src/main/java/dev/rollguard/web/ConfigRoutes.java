package dev.rollguard.web;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.rollguard.Problem;
import dev.rollguard.auth.Permission;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FileMeta;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.TreeDiff;
import dev.rollguard.config.TreeEntry;
import dev.rollguard.config.TreeWire;
import dev.rollguard.protocol.WireDirectory;
import dev.rollguard.protocol.WireEntry;
import dev.rollguard.versions.Bundles;
import dev.rollguard.versions.ConfigService;
import dev.rollguard.versions.GitCommit;
import dev.rollguard.versions.VersionDiff;
import dev.rollguard.versions.VersionInfo;
import io.javalin.http.Context;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.rollguard.web.ApiServer.intParam;
import static dev.rollguard.web.ApiServer.json;

/** REST API of the config store: services, versions, validation, diffs, fixes, environments and releases. */
public final class ConfigRoutes {
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PushBody(Map<String, String> files, List<WireEntry> entries, String author, String message, Integer parent,
                           String breakGlass, GitCommit git, List<WireDirectory> directories) {}

    /** A secret value to seal for a values file. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record SealBody(String value) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FixBody(String author, List<String> findings) {}

    private ConfigRoutes() {}

    public static void register(ApiServer server, ConfigService config, Bundles bundles) {
        String base = "/api/v1/services";
        server.get(base, Permission.AUTHENTICATED, ctx -> json(ctx, config.services().stream()
                .filter(name -> Access.can(ctx, Permission.READ, name)).map(name -> serviceView(config, name)).toList()));
        server.get(base + "/{service}", Permission.READ, ctx -> json(ctx, serviceView(config, ctx.pathParam("service"))));
        server.put(base + "/{service}", Permission.ADMIN, ctx -> {
            String text = server.bodyText(ctx);
            ServiceSpec spec = text.isBlank() ? ServiceSpec.defaults() : ApiServer.parseStrict(text, ServiceSpec.class);
            config.findService(ctx.pathParam("service")).ifPresent(old -> Access.before(ctx, old.masked()));
            config.putService(ctx.pathParam("service"), spec);
            json(ctx, serviceView(config, ctx.pathParam("service")));
        });
        server.post(base + "/{service}/validate", Permission.PUSH, ctx -> {
            PushBody body = server.body(ctx, PushBody.class);
            json(ctx, config.validate(ctx.pathParam("service"), requireFiles(body), body.parent()));
        });
        server.post(base + "/{service}/versions", Permission.PUSH, ctx -> {
            PushBody body = server.body(ctx, PushBody.class);
            var result = config.push(ctx.pathParam("service"), requireFiles(body), actor(ctx, body.author()),
                    body.message(), body.parent(), body.breakGlass(), body.git(), ctx.ip());
            Access.recorded(ctx);
            json(ctx.status(201), result);
        });
        server.post(base + "/{service}/seal", Permission.PUSH, ctx -> {
            // the plain text is in this request only: the answer (and so the audit record) holds the envelope
            SealBody body = server.body(ctx, SealBody.class);
            if (body.value() == null || body.value().isEmpty()) throw Problem.badRequest("missing_value", "seal needs a non-empty 'value'");
            config.service(ctx.pathParam("service"));
            json(ctx, Map.of("secret", config.seal(body.value().getBytes(StandardCharsets.UTF_8))));
        });
        server.get(base + "/{service}/versions", Permission.READ, ctx -> {
            int limit = Params.integer(ctx, "limit", 50, 1, 1000);
            json(ctx, config.versions(ctx.pathParam("service"), limit).stream().map(ConfigRoutes::summary).toList());
        });
        server.get(base + "/{service}/versions/{number}", Permission.READ, ctx -> {
            String service = ctx.pathParam("service");
            int n = intParam(ctx, "number");
            VersionInfo v = config.version(service, n);
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("version", v);
            ConfigTree tree = config.tree(service, n);
            view.put("files", tree.hashes());
            view.put("links", tree.links());
            json(ctx, view);
        });
        server.get(base + "/{service}/versions/{number}/bundle", Permission.READ, ctx -> {
            // the version as rendered for ?env=&host=. Agents apply the real bytes, secret values opened, and only their
            // own host's; admins read files whole but secret values masked; everyone else sees secrets masked
            String service = ctx.pathParam("service");
            int n = intParam(ctx, "number");
            String env = ctx.queryParam("env");
            String host = ctx.queryParam("host");
            if (Access.isAgent(ctx)) {
                if (env != null && host != null) Access.requireEnrolled(Access.principal(ctx), service, env, host);
                json(ctx, bundles.forAgent(service, n, env, host));
            } else if (Access.can(ctx, Permission.ADMIN, service)) {
                json(ctx, bundles.withSecretsMasked(service, n, env, host));
            } else {
                ctx.contentType("application/json").result(bundles.maskedJson(service, n, env, host));
            }
        });
        server.get(base + "/{service}/versions/{number}/files/<path>", Permission.READ, ctx -> {
            ConfigTree tree = config.tree(ctx.pathParam("service"), intParam(ctx, "number"));
            String path = ctx.pathParam("path");
            TreeEntry entry = tree.entry(path);
            if (entry == null) throw Problem.notFound("unknown_file", "no file '" + path + "' in this version");
            ctx.header("X-Content-SHA256", entry.hash());
            if (entry instanceof TreeEntry.Link l) {
                ctx.header("X-Symlink-Target", l.target()).contentType("text/plain; charset=utf-8").result("symlink -> " + l.target() + "\n");
            } else if (entry instanceof TreeEntry.File f && f.binary()) {
                // described, not dumped; with download=true the bytes as they are for agents and admins, and for everyone
                // else with secrets masked (a config file in another encoding is a "binary" file with passwords in it)
                if ("true".equals(ctx.queryParam("download"))) {
                    String service = ctx.pathParam("service");
                    boolean raw = Access.isAgent(ctx) || Access.can(ctx, Permission.ADMIN, service);
                    ctx.contentType("application/octet-stream").result(raw ? f.bytes() : config.service(service).secrets().maskFileBytes(path, f.bytes()));
                }
                else ctx.contentType("text/plain; charset=utf-8").result(TreeDiff.describeBinary(f) + "\n");
            } else {
                // people see secrets masked; the real content is for agents (the bundle) and admins who ask for it
                boolean raw = Params.flag(ctx, "unmasked") && Access.can(ctx, Permission.ADMIN, ctx.pathParam("service"));
                String content = raw ? tree.content(path) : config.service(ctx.pathParam("service")).secrets().maskFile(path, tree.content(path));
                ctx.contentType("text/plain; charset=utf-8").result(content);
            }
        });
        server.post(base + "/{service}/versions/{number}/fix", Permission.PUSH, ctx -> {
            String text = server.bodyText(ctx);
            FixBody body = text.isBlank() ? new FixBody(null, null) : ApiServer.parse(text, FixBody.class);
            var result = config.fix(ctx.pathParam("service"), intParam(ctx, "number"), actor(ctx, body.author()), body.findings(), ctx.ip());
            Access.recorded(ctx);
            json(ctx.status(201), result);
        });
        server.get(base + "/{service}/diff", Permission.READ, ctx -> {
            VersionDiff diff = config.versionDiff(ctx.pathParam("service"), intParam(ctx, "from"), intParam(ctx, "to"));
            if ("unified".equals(Params.oneOf(ctx, "format", "json", "json", "unified"))) {
                ctx.contentType("text/x-diff; charset=utf-8").result(diff.unified());
            } else {
                Map<String, Object> view = new LinkedHashMap<>();
                view.put("from", diff.from().number());
                view.put("to", diff.to().number());
                view.put("fromGit", diff.from().git());
                view.put("toGit", diff.to().git());
                view.put("files", diff.files().stream().map(ConfigRoutes::fileDiff).toList());
                Map<String, Object> renderings = new LinkedHashMap<>();
                diff.renderings().forEach((env, files) -> renderings.put(env, files.stream().map(ConfigRoutes::fileDiff).toList()));
                view.put("renderings", renderings);
                json(ctx, view);
            }
        });
        server.get(base + "/{service}/environments", Permission.READ, ctx -> json(ctx, config.environments(ctx.pathParam("service"))));
    }

    /** A file of a diff; {@code meta} (mode and owner before and after) only when they changed. */
    private static Map<String, Object> fileDiff(TreeDiff.FileDiff d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", d.path());
        m.put("status", d.status());
        m.put("additions", d.additions());
        m.put("deletions", d.deletions());
        m.put("unified", d.unified());
        if (d.meta() != null) m.put("meta", Map.of("from", metaView(d.meta().from()), "to", metaView(d.meta().to())));
        return m;
    }

    /** A mode as people write it ("0640"); absent fields: as the agent creates it. */
    private static Map<String, String> metaView(FileMeta f) {
        Map<String, String> m = new LinkedHashMap<>();
        if (f.mode() != null) m.put("mode", FileMeta.octal(f.mode()));
        if (f.owner() != null) m.put("owner", f.owner());
        if (f.group() != null) m.put("group", f.group());
        return m;
    }

    private static TreeWire.Upload requireFiles(PushBody body) {
        return new TreeWire.Upload(body.files(), body.entries(), body.directories());
    }

    /** Who acts: the authenticated principal; a claimed name (body or header) only where no one is signed in. */
    static String actor(Context ctx, String fromBody) {
        var principal = Access.principal(ctx);
        if (principal != null) return principal.name();
        String header = ctx.header("X-Rollguard-Actor");
        String actor = fromBody != null && !fromBody.isBlank() ? fromBody : header;
        return actor == null || actor.isBlank() ? "anonymous" : actor.strip();
    }

    private static Map<String, Object> serviceView(ConfigService config, String name) {
        ServiceSpec spec = config.service(name);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("name", name);
        view.put("spec", spec.masked());
        view.put("environments", config.environments(name));
        return view;
    }

    private static Map<String, Object> summary(VersionInfo v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("number", v.number());
        m.put("parent", v.parent());
        m.put("author", v.author());
        m.put("message", v.message());
        m.put("createdAt", v.createdAt());
        m.put("fileCount", v.fileCount());
        m.put("releasable", v.releasable());
        m.put("highRisk", v.highRisk());
        m.put("bad", v.bad());
        m.put("breakGlass", v.breakGlass());
        m.put("errors", v.report().errors());
        m.put("warnings", v.report().warnings());
        m.put("git", v.git());
        return m;
    }
}
