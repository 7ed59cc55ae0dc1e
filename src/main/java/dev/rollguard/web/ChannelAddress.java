package dev.rollguard.web;

/**
 * Where this server tells its agents the channel's own port is ({@link NettyChannel}; {@code channelUrl} in the answer to
 * registering): the operator's URL when one is set (agents behind a proxy, or TLS in front of the port), else the address
 * the agent registered at with the channel's port; nothing while the channel has no port of its own.
 */
public final class ChannelAddress {
    private final String configured;
    private volatile int port = -1;

    /** {@code configured}: the operator's URL (null: none). */
    public ChannelAddress(String configured) {
        this.configured = configured == null || configured.isBlank() ? null : configured.replaceAll("/+$", "");
    }

    /** The channel listens on {@code port} from now on. */
    public void listening(int port) {
        this.port = port;
    }

    /** What an agent that registered with this {@code Host} header is told (null: no channel of its own port). */
    String forAgent(String hostHeader) {
        return advertised(configured, port, hostHeader);
    }

    /** The channel's URL for an agent that reached the API as {@code hostHeader} (host, or host:port, or [v6]:port). */
    static String advertised(String configured, int port, String hostHeader) {
        if (port < 0) return null;
        if (configured != null) return configured;
        if (hostHeader == null || hostHeader.isBlank()) return null;
        String h = hostHeader.strip();
        String name;
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            if (end < 0) return null;
            name = h.substring(0, end + 1);
        } else {
            int colon = h.indexOf(':');
            name = colon < 0 ? h : h.substring(0, colon);
        }
        return name.isEmpty() ? null : "ws://" + name + ":" + port;
    }
}
