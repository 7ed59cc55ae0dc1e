package dev.rollguard.net;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Optional;

/**
 * Requests the server sends on a spec's behalf, to addresses its {@link OutgoingPolicy} allows. The name is resolved
 * once, here, and every address it resolves to is judged (a name with one internal address among public ones is
 * refused). Then the request goes to what was judged, so a name that resolves to a public address for the check and
 * to 127.0.0.1 for the connection (DNS rebinding) reaches nothing new:
 * <ul>
 *   <li>{@code http://}: the request is sent to the address itself, the name kept in the Host header;</li>
 *   <li>{@code https://}: the request is sent by name, and the certificate must be the name's: an internal service
 *       a rebinding points at cannot show one, so the handshake fails before anything is sent.</li>
 * </ul>
 * Redirects are never followed (the JDK client's default), so a receiver cannot send the request on elsewhere.
 */
public final class Outgoing {
    /** Resolves a host name to every address it has (the system's resolver; tests give their own). */
    @FunctionalInterface
    public interface Resolver {
        List<InetAddress> resolve(String host) throws UnknownHostException;
    }

    /** A URL the policy refuses, or whose name does not resolve: the reason is fit to show people. */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message);
        }
    }

    /** Where a request goes: the URI to send to, and the Host header to send when it differs from the URI's host. */
    public record Target(URI uri, String hostHeader) {}

    private static final boolean HOST_HEADER_ALLOWED = hostHeaderAllowed();

    private final OutgoingPolicy policy;
    private final Resolver resolver;

    public Outgoing(OutgoingPolicy policy) {
        this(policy, host -> List.of(InetAddress.getAllByName(host)));
    }

    public Outgoing(OutgoingPolicy policy, Resolver resolver) {
        this.policy = policy;
        this.resolver = resolver;
    }

    /** Everything allowed: the offline tools' and the agent's (they send only where their own operator pointed them). */
    public static Outgoing unrestricted() {
        return new Outgoing(null);
    }

    public OutgoingPolicy policy() { return policy; }

    /** Checks a URL against the policy and pins it to the address checked (see the class comment). */
    public Target target(URI uri) throws Refused {
        String host = uri.getHost();
        if (host == null) throw new Refused("the URL names no host");
        if (policy == null) return new Target(uri, null);
        List<InetAddress> addresses;
        try {
            addresses = resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw new Refused("the host " + host + " does not resolve");
        }
        if (addresses.isEmpty()) throw new Refused("the host " + host + " does not resolve");
        for (InetAddress a : addresses) {
            Optional<String> why = policy.refusal(a);
            if (why.isPresent()) throw new Refused(host + ": " + why.get());
        }
        if (!"http".equalsIgnoreCase(uri.getScheme())) return new Target(uri, null);
        InetAddress pinned = addresses.get(0);
        String literal = pinned.getAddress().length == 16 ? "[" + pinned.getHostAddress() + "]" : pinned.getHostAddress();
        String pinnedUri = uri.getScheme() + "://" + literal + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                + (uri.getRawPath() == null ? "" : uri.getRawPath()) + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        String hostHeader = host + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        return new Target(URI.create(pinnedUri), hostHeader);
    }

    /** A request builder for a checked URL, pinned to the address checked. */
    public HttpRequest.Builder request(URI uri) throws Refused {
        Target t = target(uri);
        HttpRequest.Builder b = HttpRequest.newBuilder(t.uri());
        // the name is kept where the JVM lets a request say it (-Djdk.httpclient.allowRestrictedHeaders=host, set by
        // the launcher); elsewhere the receiver sees the address it was sent to
        if (t.hostHeader() != null && HOST_HEADER_ALLOWED) b.header("Host", t.hostHeader());
        return b;
    }

    private static boolean hostHeaderAllowed() {
        try {
            HttpRequest.newBuilder(URI.create("http://127.0.0.1/")).header("Host", "example.com");
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
