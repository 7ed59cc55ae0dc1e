package dev.rollguard.web;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.auth.Permission;
import dev.rollguard.sandbox.Slots;
import dev.rollguard.storage.StorageHealth;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.websocket.WsConfig;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.DispatcherType;
import org.eclipse.jetty.servlet.FilterHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The HTTP server: JSON everywhere, one error shape ({@code {"error": {"code", "message", ...}}}) with a
 * stable code for every refusal, bodies read under a size limit, Prometheus metrics at /metrics.
 */
public final class ApiServer {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final String START = "rollguard.start";
    /** What a request refused for a busy database is told to wait (s): a pool's wait is seconds, a release's burst a few. */
    static final int BUSY_RETRY_AFTER_SECONDS = 2;

    private final Javalin app;
    private final long maxBodyBytes;
    private final BodyBudget budget;
    private volatile Runnable storageFull = () -> {};

    /** A registered route and what it needs: the access filter and the tests enumerate these. */
    /**
     * A route as registered: what it needs, what its {@code {id}} names, and what it answers: the API's JSON, a page a
     * browser navigates to, or an htmx fragment a page fetches ({@link Pages#page} and {@link Pages#fragment} say so).
     */
    public record Route(String method, String path, Permission permission, IdOf idOf, Surface surface) {}

    public enum Surface { API, PAGE, FRAGMENT }

    /** What a route's {@code {id}} parameter names: the access check finds the service of the request from it. */
    public enum IdOf { NOTHING, ROLLOUT, INCIDENT, ACTION_ITEM }

    /** The WebSocket extension this server never negotiates (RFC 7692). */
    static final String PERMESSAGE_DEFLATE = "permessage-deflate";

    private final List<Route> routes = new CopyOnWriteArrayList<>();
    private final Map<String, Route> byRoute = new ConcurrentHashMap<>();

    public ApiServer(long maxBodyBytes, PrometheusMeterRegistry metrics, Consumer<ApiServer> routes) {
        this(maxBodyBytes, metrics, () -> {}, routes);
    }

    /** {@code beforeScrape} brings gauges read from storage (rollout states, hosts' versions) up to date for a scrape. */
    public ApiServer(long maxBodyBytes, PrometheusMeterRegistry metrics, Runnable beforeScrape, Consumer<ApiServer> routes) {
        this(maxBodyBytes, metrics, beforeScrape, routes, BodyBudget.ofHeap());
    }

    ApiServer(long maxBodyBytes, PrometheusMeterRegistry metrics, Runnable beforeScrape, Consumer<ApiServer> routes, BodyBudget budget) {
        // no body may be larger than the memory budget can ever hold
        this.maxBodyBytes = Math.min(maxBodyBytes, budget.largestBody());
        this.budget = budget;
        if (this.maxBodyBytes < maxBodyBytes) {
            log.info("request bodies limited to {} bytes (of {} asked): the heap allows no more", this.maxBodyBytes, maxBodyBytes);
        }
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            // only sign-in forms are read by Javalin itself; every other body goes through bodyText and its budget
            config.http.maxRequestSize = 64 * 1024;
            config.useVirtualThreads = false;
            // Javalin's own after-handlers are skipped when a route's future fails (a report for an unknown host):
            // the share is given back where every request ends, the servlet filter around them all
            // agents' channels (web/AgentChannel): a report frame is small; a quiet channel is pinged long before this
            config.jetty.modifyWebSocketServletFactory(f -> {
                f.setIdleTimeout(Duration.ofMillis(AgentChannel.IDLE_TIMEOUT_MILLIS));
                f.setMaxTextMessageSize(AgentChannel.MAX_REPORT_BYTES);
                // never negotiated, whoever offers it: Jetty would deflate the release frame the fleet shares (encoded once,
                // PreparedText) again for every connection, a per-host cost far above the frame's write (bench push --floor)
                f.getAvailableExtensionNames().remove(PERMESSAGE_DEFLATE);
            });
            config.jetty.modifyServletContextHandler(h -> h.addFilter(new FilterHolder(new BudgetRelease(budget)), "/*",
                    EnumSet.of(DispatcherType.REQUEST)));
        });
        app.before(ctx -> ctx.attribute(START, System.nanoTime()));
        app.after(ctx -> {
            Long start = ctx.attribute(START);
            if (start == null) return;
            String route = ctx.endpointHandlerPath();
            Timer.builder("rollguard.http.requests").tag("method", ctx.method().name())
                    .tag("route", route == null || route.isEmpty() ? "unmatched" : route)
                    .tag("status", Integer.toString(ctx.statusCode())).register(metrics)
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        });
        get("/metrics", Permission.PUBLIC, ctx -> {
            beforeScrape.run();
            ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape());
        });
        app.exception(Problem.class, (e, ctx) -> {
            if (e.details().get(Slots.RETRY_AFTER) instanceof Integer seconds) ctx.header("Retry-After", seconds.toString());
            error(ctx, e.status(), e.code(), e.getMessage(), e.details());
        });
        app.exception(HttpResponseException.class, (e, ctx) -> {
            switch (e.getStatus()) {
                case 404 -> error(ctx, 404, "not_found", "no such endpoint: " + ctx.method() + " " + ctx.path(), Map.of());
                case 405 -> error(ctx, 405, "method_not_allowed", "method not allowed: " + ctx.method() + " " + ctx.path(), Map.of());
                case 413 -> error(ctx, 413, "request_too_large", "request body is larger than " + maxBodyBytes + " bytes", Map.of());
                default -> error(ctx, e.getStatus(), "http_" + e.getStatus(), e.getMessage(), Map.of());
            }
        });
        app.exception(Exception.class, (e, ctx) -> {
            if (StorageHealth.isFull(e)) {
                storageFull.run();
                log.warn("storage full on {} {}: {}", ctx.method(), ctx.path(), e.toString());
                ctx.header("Retry-After", "30");
                error(ctx, 503, "storage_full", "the server's storage is full: nothing was changed; retry once space is freed", Map.of());
                return;
            }
            if (StorageHealth.isBusy(e)) {
                // nothing was done: the same request a little later succeeds (agents wait as told)
                log.warn("database busy on {} {}: {}", ctx.method(), ctx.path(), e.toString());
                ctx.header("Retry-After", Integer.toString(BUSY_RETRY_AFTER_SECONDS));
                error(ctx, 503, "database_busy", "the server's database is busy (no connection free in time): nothing was changed; retry after "
                        + BUSY_RETRY_AFTER_SECONDS + " s", Map.of());
                return;
            }
            log.error("unhandled error on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal_error", "internal error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), Map.of());
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                error(ctx, 404, "not_found", "no such endpoint: " + ctx.method() + " " + ctx.path(), Map.of());
            }
        });
        app.error(405, ctx -> error(ctx, 405, "method_not_allowed", "method not allowed: " + ctx.method() + " " + ctx.path(), Map.of()));
        routes.accept(this);
    }

    private Handler upgradeGate;

    public Javalin app() { return app; }

    /** The request bodies' memory budget as it stands (for the health check). */
    public BodyBudget.Use bodyBudget() {
        return budget.use();
    }

    /** Told when a request failed because the database's storage is full (the health check reports it). */
    public void onStorageFull(Runnable r) {
        this.storageFull = r;
    }

    /** Registers a route with the permission it needs; a route without one, or registered twice, is refused. */
    public void route(HandlerType method, String path, Permission p, IdOf idOf, Handler h) {
        if (p == null) throw new IllegalArgumentException("route " + method + " " + path + " declares no permission");
        Surface surface = h instanceof Pages.Surfaced view ? view.surface() : Surface.API;
        Route r = new Route(method.name(), path, p, idOf, surface);
        if (byRoute.putIfAbsent(method.name() + " " + path, r) != null) throw new IllegalArgumentException("route registered twice: " + method + " " + path);
        routes.add(r);
        app.addHttpHandler(method, path, h);
    }

    public void get(String path, Permission p, Handler h) { route(HandlerType.GET, path, p, IdOf.NOTHING, h); }
    public void get(String path, Permission p, IdOf idOf, Handler h) { route(HandlerType.GET, path, p, idOf, h); }
    public void post(String path, Permission p, Handler h) { route(HandlerType.POST, path, p, IdOf.NOTHING, h); }
    public void post(String path, Permission p, IdOf idOf, Handler h) { route(HandlerType.POST, path, p, idOf, h); }
    public void put(String path, Permission p, Handler h) { route(HandlerType.PUT, path, p, IdOf.NOTHING, h); }
    public void put(String path, Permission p, IdOf idOf, Handler h) { route(HandlerType.PUT, path, p, idOf, h); }
    public void patch(String path, Permission p, Handler h) { route(HandlerType.PATCH, path, p, IdOf.NOTHING, h); }
    public void patch(String path, Permission p, IdOf idOf, Handler h) { route(HandlerType.PATCH, path, p, idOf, h); }
    public void delete(String path, Permission p, Handler h) { route(HandlerType.DELETE, path, p, IdOf.NOTHING, h); }

    /** What every WebSocket upgrade passes before Jetty takes the connection ({@link Access}); set before any {@link #ws}. */
    public void gateUpgrades(Handler gate) {
        this.upgradeGate = gate;
    }

    /**
     * A WebSocket route: the upgrade passes the same gate as a GET of {@code path} ({@link Access}, which checks the
     * upgrade before Jetty takes the connection), and a plain GET there is answered 426 after that gate.
     */
    public void ws(String path, Permission p, Consumer<WsConfig> ws) {
        if (upgradeGate == null) throw new IllegalStateException("WebSocket " + path + " registered before the gate of upgrades");
        // registered with the route's path, the gate sees the route as its matched path (a gate for every path would see "*")
        app.wsBeforeUpgrade(path, upgradeGate);
        route(HandlerType.GET, path, p, IdOf.NOTHING, ctx -> {
            ctx.header("Upgrade", "websocket");
            throw new Problem(426, "upgrade_required", "this is a WebSocket: send 'Upgrade: websocket'");
        });
        app.ws(path, ws);
    }

    public List<Route> routes() { return List.copyOf(routes); }

    /** What the matched route of this request needs; null for a route registered around this class (refused). */
    public Permission permission(Context ctx) {
        Route r = matched(ctx);
        return r == null ? null : r.permission();
    }

    /** What the matched route's {@code {id}} names. */
    public IdOf idOf(Context ctx) {
        Route r = matched(ctx);
        return r == null ? IdOf.NOTHING : r.idOf();
    }

    /** What the matched route answers; the API's JSON for a route registered around this class. */
    public Surface surface(Context ctx) {
        Route r = matched(ctx);
        return r == null ? Surface.API : r.surface();
    }

    private Route matched(Context ctx) {
        return byRoute.get(ctx.method().name() + " " + ctx.endpointHandlerPath());
    }

    public ApiServer start(String host, int port) {
        app.start(host, port);
        return this;
    }

    public int port() { return app.port(); }

    public void stop() { app.stop(); }

    private static void error(Context ctx, int status, String code, String message, Map<String, Object> details) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", code);
        body.put("message", message);
        body.putAll(details);
        json(ctx.status(status), Map.of("error", body));
    }

    public static void json(Context ctx, Object body) {
        ctx.contentType("application/json").result(Json.write(body));
    }

    /** Reads the body as JSON into {@code type}, refusing oversize and malformed bodies with clear codes. */
    public <T> T body(Context ctx, Class<T> type) {
        return parse(bodyText(ctx), type);
    }

    public static <T> T parse(String text, Class<T> type) {
        return parse(text, type, false);
    }

    /**
     * As {@link #parse(String, Class)}, refusing keys the type does not have (400 {@code unknown_key} naming it): for
     * what people write by hand, where a misspelt key ({@code riskRule:}) silently turns a safeguard off.
     */
    public static <T> T parseStrict(String text, Class<T> type) {
        return parse(text, type, true);
    }

    /**
     * One reader per body type, made on first use: making one per request (a type looked up, a configuration copied
     * twice) was a third of parsing an agent's report.
     */
    private static final ClassValue<ObjectReader> READERS = new ClassValue<>() {
        @Override
        protected ObjectReader computeValue(Class<?> type) {
            return Json.MAPPER.readerFor(type).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        }
    };
    private static final ClassValue<ObjectReader> STRICT_READERS = new ClassValue<>() {
        @Override
        protected ObjectReader computeValue(Class<?> type) {
            return READERS.get(type).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        }
    };

    private static <T> T parse(String text, Class<T> type, boolean strict) {
        if (text.isBlank()) throw Problem.badRequest("missing_body", "request body is empty; expected JSON");
        StrictJson.requirePairedSurrogates(text);
        // the parser's own tokens say whether the body ended early or went on after the value; Jackson's messages are
        // for people and change between versions
        try (JsonParser p = Json.MAPPER.createParser(text)) {
            if (p.nextToken() == null) throw Problem.badRequest("malformed_json", "malformed JSON: the body ends too early");
            T value = (strict ? STRICT_READERS : READERS).get(type).readValue(p);
            if (p.nextToken() != null) {
                throw Problem.badRequest("malformed_json", "malformed JSON: more after the value" + location(p.currentTokenLocation()));
            }
            if (value == null) throw Problem.badRequest("invalid_request", "request body must be a JSON object");
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw Json.unknownKey(e);
        } catch (MismatchedInputException e) {
            throw Problem.badRequest("invalid_request", "invalid request: " + describePath(e) + e.getOriginalMessage()
                    .replaceAll("\\s*at \\[Source.*", ""));
        } catch (JsonMappingException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof Problem p) throw p;
            if (cause instanceof JsonParseException pe) {
                throw Problem.badRequest("malformed_json", "malformed JSON" + location(pe.getLocation()) + ": " + pe.getOriginalMessage());
            }
            throw Problem.badRequest("invalid_request", "invalid request: " + describePath(e)
                    + String.valueOf(cause.getMessage()).replaceAll("\\s*at \\[Source.*", "").strip());
        } catch (JsonProcessingException e) {
            throw Problem.badRequest("malformed_json", "malformed JSON" + location(e.getLocation()) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String location(JsonLocation loc) {
        return loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    private static String describePath(JsonMappingException e) {
        String path = e.getPathReference() == null ? "" : e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .reduce((a, b) -> a + "." + b).orElse("");
        return path.isEmpty() ? "" : "field '" + path + "': ";
    }

    /**
     * The body as text, under the size limit and the memory budget: the body's share is taken before it is read (a
     * body of unknown length takes the largest share, and gives back the rest once read) and held until the request ends.
     */
    public String bodyText(Context ctx) {
        long declared = ctx.contentLength();
        if (declared > maxBodyBytes) throw tooLarge();
        int held = budget.acquire(declared >= 0 ? declared : maxBodyBytes);
        BudgetRelease.held(ctx.req()).addAndGet(held);
        SlowBodies.Watch watch = new SlowBodies.Watch(ctx.req());
        try (InputStream in = ctx.req().getInputStream(); watch) {
            byte[] bytes = read(in, (int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1), watch);
            if (bytes.length > maxBodyBytes) throw tooLarge();
            if (declared < 0) {
                int needed = budget.unitsFor(bytes.length);
                if (needed < held) BudgetRelease.giveBack(ctx.req(), budget, held - needed);
            }
            return StrictJson.utf8(bytes);
        } catch (IOException e) {
            if (watch.dropped()) {
                throw new Problem(408, "body_too_slow", "the request body arrived slower than " + SlowBodies.MIN_RATE / 1024
                        + " KiB/s on average: the connection was closed");
            }
            throw Problem.badRequest("unreadable_body", "could not read request body: " + e.getMessage());
        }
    }

    /** Up to {@code limit} bytes, telling the watch of each chunk as it arrives. */
    private static byte[] read(InputStream in, int limit, SlowBodies.Watch watch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 * 1024];
        while (out.size() < limit) {
            int n = in.read(chunk, 0, Math.min(chunk.length, limit - out.size()));
            if (n < 0) break;
            watch.arrived(n);
            out.write(chunk, 0, n);
        }
        return out.toByteArray();
    }

    private Problem tooLarge() {
        return new Problem(413, "request_too_large", "request body is larger than " + maxBodyBytes + " bytes");
    }

    public static int intParam(Context ctx, String name) {
        return Params.integer(ctx, name);
    }
}
