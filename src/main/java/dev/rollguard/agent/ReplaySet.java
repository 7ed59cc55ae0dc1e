package dev.rollguard.agent;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A bounded, recent sample of this host's real requests, for preflight's replay: idempotent methods only (GET, HEAD),
 * the request target (path and query) and the virtual host, never anything else (an access log holds no bodies,
 * cookies or credentials, and this class keeps nothing it is not given).
 *
 * <p>Spread over distinct routes, not weighted by traffic: one entry per route (path plus the names, not the values, of
 * its query parameters), the most recent request of each, the least recently seen route dropped first. So a rare page
 * that users did ask for stays in the set while {@code /} is asked a thousand times, and {@code /?p=1} and {@code /?p=2}
 * count once. Only requests that users were served without an error are kept: the point is to see whether the new
 * version breaks what works now.
 */
public final class ReplaySet {
    /** One request to replay: GET or HEAD, the virtual host it was sent to (null: the default one), path and query. */
    public record Request(String method, String vhost, String target) {
        public Request {
            if (!idempotent(method)) throw new IllegalArgumentException("only GET and HEAD are replayed: " + method);
            if (target == null || !target.startsWith("/")) throw new IllegalArgumentException("a request target starts with '/': " + target);
        }

        /** The path alone, without the query. */
        public String path() {
            int q = target.indexOf('?');
            return q < 0 ? target : target.substring(0, q);
        }
    }

    public static final int DEFAULT_CAPACITY = 1000;
    /** Longer targets are not kept: they are rare, and a replay set of bounded size must stay bounded in bytes too. */
    static final int MAX_TARGET = 2048;

    private final int capacity;
    private final LinkedHashMap<String, Request> byRoute;

    public ReplaySet(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("a replay set holds at least one request");
        this.capacity = capacity;
        this.byRoute = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Request> eldest) {
                return size() > ReplaySet.this.capacity;
            }
        };
    }

    public static boolean idempotent(String method) {
        return "GET".equals(method) || "HEAD".equals(method);
    }

    /** Takes one request a user made and the status they got; anything not replayable is ignored. */
    public void offer(String method, String vhost, String target, int status) {
        if (!idempotent(method) || status < 200 || status >= 400 || target == null || !target.startsWith("/")
                || target.length() > MAX_TARGET) return;
        Request r = new Request(method, vhost == null || vhost.isBlank() || "-".equals(vhost) ? null : vhost, target);
        String key = route(r);
        synchronized (byRoute) {
            byRoute.remove(key);
            byRoute.put(key, r);
        }
    }

    /** Up to {@code max} requests, one per route, the most recently seen routes first. */
    public List<Request> snapshot(int max) {
        List<Request> all;
        synchronized (byRoute) {
            all = new ArrayList<>(byRoute.values());
        }
        List<Request> out = new ArrayList<>(Math.min(max, all.size()));
        for (int i = all.size() - 1; i >= 0 && out.size() < max; i--) out.add(all.get(i));
        return out;
    }

    public int size() {
        synchronized (byRoute) {
            return byRoute.size();
        }
    }

    /** A request's route: virtual host, path, and the sorted names of its query parameters. */
    static String route(Request r) {
        int q = r.target().indexOf('?');
        String names = q < 0 ? "" : Arrays.stream(r.target().substring(q + 1).split("&"))
                .filter(s -> !s.isEmpty()).map(s -> s.split("=", 2)[0]).sorted().distinct().collect(Collectors.joining("&", "?", ""));
        return (r.vhost() == null ? "" : r.vhost()) + " " + r.method() + " " + r.path() + names;
    }
}
