package dev.rollguard.agent;

import dev.rollguard.protocol.AgentProtocol;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What an agent is for (its service, environment and host), where it applies, how it talks to the servers.
 * {@code token}: the host's enrolment token (or any token allowed to act for it); {@code stream}: hear of releases over
 * a persistent stream, long-polling where the server or a proxy has none and for one round after the stream dropped;
 * {@code channel} (with {@code stream}): first over the channel (a WebSocket that carries the reports too), the stream
 * where the server or a proxy has no channel.
 */
public record AgentConfig(List<String> servers, String service, String env, String host, Path target, String preApply,
                          String reload, int keep, Duration reportInterval, Duration hookTimeout, Duration longPoll, String token,
                          Safeguards safeguards, boolean stream, String labels, boolean channel) {
    public AgentConfig {
        safeguards = safeguards == null ? Safeguards.NONE : safeguards;
        if (servers == null || servers.isEmpty()) throw new IllegalArgumentException("an agent needs at least one server URL");
        servers = servers.stream().map(s -> s.endsWith("/") ? s.substring(0, s.length() - 1) : s).toList();
        keep = keep <= 0 ? 5 : keep;
        reportInterval = reportInterval == null ? Duration.ofMillis(500) : reportInterval;
        hookTimeout = hookTimeout == null ? Duration.ofSeconds(60) : hookTimeout;
        longPoll = longPoll == null ? Duration.ofSeconds(30) : longPoll;
    }

    public AgentConfig(List<String> servers, String service, String env, String host, Path target, String preApply,
                       String reload, int keep, Duration reportInterval, Duration hookTimeout, Duration longPoll, String token,
                       Safeguards safeguards, boolean stream, String labels) {
        this(servers, service, env, host, target, preApply, reload, keep, reportInterval, hookTimeout, longPoll, token, safeguards, stream,
                labels, stream);
    }

    public AgentConfig(List<String> servers, String service, String env, String host, Path target, String preApply,
                       String reload, int keep, Duration reportInterval, Duration hookTimeout, Duration longPoll, String token) {
        this(servers, service, env, host, target, preApply, reload, keep, reportInterval, hookTimeout, longPoll, token, null, false, null);
    }

    public AgentConfig(List<String> servers, String service, String env, String host, Path target, String preApply,
                       String reload, int keep, Duration reportInterval, Duration hookTimeout, Duration longPoll, String token,
                  Safeguards safeguards) {
        this(servers, service, env, host, target, preApply, reload, keep, reportInterval, hookTimeout, longPoll, token, safeguards, false, null);
    }

    public AgentConfig(List<String> servers, String service, String env, String host, Path target, String preApply,
                       String reload, int keep, Duration reportInterval, Duration hookTimeout, Duration longPoll) {
        this(servers, service, env, host, target, preApply, reload, keep, reportInterval, hookTimeout, longPoll, null, null, false, null);
    }

    public AgentConfig withSafeguards(Safeguards s) {
        return new AgentConfig(servers, service, env, host, target, preApply, reload, keep, reportInterval, hookTimeout, longPoll, token, s, stream,
                labels, channel);
    }

    /** Hear of releases over a persistent connection (the channel, else the stream), or ({@code false}) long-poll only. */
    public AgentConfig withStream(boolean on) {
        return new AgentConfig(servers, service, env, host, target, preApply, reload, keep, reportInterval, hookTimeout, longPoll, token,
                safeguards, on, labels, on);
    }

    /** With {@code false}, a streaming agent never opens the channel: server-sent events and reports by POST. */
    public AgentConfig withChannel(boolean on) {
        return new AgentConfig(servers, service, env, host, target, preApply, reload, keep, reportInterval, hookTimeout, longPoll, token,
                safeguards, stream, labels, on);
    }

    /** The channel's and the stream's heartbeat, in seconds: the long-poll's wait (a heartbeat is a wait that ended with nothing new). */
    int heartbeatSeconds() {
        return (int) Math.max(1, Math.min(AgentProtocol.STREAM_HEARTBEAT_SECONDS, longPoll.toSeconds()));
    }

    /** The host's labels ({@code role=web,canary=yes}): a service's rollout may choose its canaries by one. */
    public AgentConfig withLabels(String l) {
        return new AgentConfig(servers, service, env, host, target, preApply, reload, keep, reportInterval, hookTimeout, longPoll, token, safeguards,
                stream, l, channel);
    }
}
