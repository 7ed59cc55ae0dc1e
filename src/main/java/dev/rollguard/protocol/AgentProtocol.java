package dev.rollguard.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The agent protocol, written once: the requests and answers between the server and its agents (the real agent and
 * the simulated pollers alike), and the paths they go to. A version the host has or should have is a number, or
 * JSON null when there is none; only the long-poll's {@code known} parameter spells "none".
 */
public final class AgentProtocol {
    public static final String REGISTER_PATH = "/api/v1/agents/register";
    /** The {@code known} parameter of a host that has no version. */
    public static final String NONE = "none";
    public static final String INLINE = "inline";

    private AgentProtocol() {}

    /** A host announces itself for a service's environment. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Register(String service, String env, String host, String labels) {}

    /**
     * The answer to {@link Register}: what the host should run (null: nothing yet), how often to report, and where the
     * server's channel has a port of its own ({@code channelUrl}: ws:// or wss://, no path; null: none, the channel is on
     * the API's port only). An older agent ignores the field; an older server does not send it.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Registered(String host, Integer desiredVersion, long reportIntervalMillis,
                             @JsonInclude(JsonInclude.Include.NON_NULL) String channelUrl) {
        public Registered(String host, Integer desiredVersion, long reportIntervalMillis) {
            this(host, desiredVersion, reportIntervalMillis, null);
        }

        /** This answer telling the agent where its channel is. */
        public Registered withChannel(String url) {
            return new Registered(host, desiredVersion, reportIntervalMillis, url);
        }
    }

    /**
     * What a host runs, what failed to apply there and why ({@code applyError} for people, {@code failure} for code), and
     * its health since the last report.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Report(Integer appliedVersion, Integer failedVersion, String applyError, List<HealthSample> samples,
                         @JsonInclude(JsonInclude.Include.NON_NULL) HostFailure failure) {
        /** A report without samples (a host with nothing to say of its traffic) has none. */
        public Report {
            samples = samples == null ? List.of() : samples;
        }

        public Report(Integer appliedVersion, Integer failedVersion, String applyError, List<HealthSample> samples) {
            this(appliedVersion, failedVersion, applyError, samples, null);
        }
    }

    /** Where on a host a version failed. */
    public enum Stage {
        /** Staging, the pre-apply hook or the reload: the version did not go live. */
        APPLY,
        /** The shadow instance of the staged tree failed a probe: the version never served a user request. */
        PREFLIGHT,
        /** The version went live and the host's own watchdog reverted it on its failed requests. */
        WATCHDOG
    }

    /**
     * Why a version failed on a host, as a fact: the stage, a line for people, and for a failed preflight probe its
     * answer (null otherwise).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record HostFailure(Stage stage, String message, @JsonInclude(JsonInclude.Include.NON_NULL) ProbeAnswer probe,
                              @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ProbeAnswer> replayed) {
        /** At most this many failed replayed requests are carried: enough to name the paths, bounded for the report. */
        public static final int MAX_REPLAYED = 20;

        public HostFailure {
            if (stage == null) throw new IllegalArgumentException("a host failure needs its stage");
            message = message == null ? "" : message;
            replayed = replayed == null ? List.of() : List.copyOf(replayed.subList(0, Math.min(MAX_REPLAYED, replayed.size())));
        }

        public HostFailure(Stage stage, String message, ProbeAnswer probe) {
            this(stage, message, probe, List.of());
        }

        /** Did users see it? Only a version that went live can have failed their requests. */
        public boolean beforeAnyUser() { return stage != Stage.WATCHDOG; }

        /** As stored by the server: the texts an agent sends cut to a bounded length. */
        public HostFailure bounded() {
            return new HostFailure(stage, cut(message, 2000), probe == null ? null : probe.bounded(),
                    replayed.stream().map(ProbeAnswer::bounded).toList());
        }
    }

    /**
     * A preflight probe's answer: {@code status} 0 when none came (refused, timed out), {@code bodyExcerpt} the body's
     * first lines.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ProbeAnswer(String path, int status, int expectedStatus, String bodyExcerpt) {
        ProbeAnswer bounded() {
            return new ProbeAnswer(cut(path, 200), status, expectedStatus, cut(bodyExcerpt, 2000));
        }
    }

    /**
     * What a host's preflight requests from the shadow instance of a staged version, declared in the service's spec and
     * sent with the desired version: each probe's path, expected status and optional body match (a regular expression the
     * body must contain), all within {@code timeoutSeconds} of the shadow's start; then the replay of this host's own
     * recent requests ({@code replay}, null: the defaults of {@link Replay}).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PreflightSpec(List<Probe> probes, int timeoutSeconds, @JsonInclude(JsonInclude.Include.NON_NULL) Replay replay) {
        public static final PreflightSpec DEFAULT = new PreflightSpec(List.of(new Probe("/", 200, null)), 20);

        public PreflightSpec {
            probes = probes == null || probes.isEmpty() ? List.of(new Probe("/", 200, null)) : List.copyOf(probes);
            timeoutSeconds = timeoutSeconds <= 0 ? 20 : timeoutSeconds;
            if (timeoutSeconds > 600) throw new IllegalArgumentException("preflight timeoutSeconds must be at most 600");
        }

        public PreflightSpec(List<Probe> probes, int timeoutSeconds) {
            this(probes, timeoutSeconds, null);
        }

        public Duration timeout() { return Duration.ofSeconds(timeoutSeconds); }

        /** The replay settings in force: the declared ones, else the defaults (on). */
        public Replay replaySettings() { return replay == null ? Replay.DEFAULT : replay; }
    }

    /** Which differences between the current version's answer and the candidate's block a switch. */
    public enum ReplayBlock {
        /** A request the current version served (2xx/3xx) that the candidate answers 5xx, 4xx or not at all. */
        STATUS,
        /** That, or a body that differs from the current version's beyond what two answers of the current version differ by. */
        BODY
    }

    /**
     * Preflight's replay of this host's own recent requests (GET and HEAD from its access log) to a shadow of the
     * candidate and a shadow of the current version: at most {@code requests} requests, {@code concurrency} at a time,
     * within {@code budgetSeconds} (what is left unsent when the budget runs out is skipped, never a failure); paths
     * starting with a {@code skip} prefix are never replayed.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Replay(Boolean enabled, int requests, int budgetSeconds, int concurrency, ReplayBlock block, List<String> skip) {
        public static final Replay DEFAULT = new Replay(true, 0, 0, 0, null, null);

        public Replay {
            enabled = enabled == null || enabled;
            requests = requests <= 0 ? 200 : requests;
            budgetSeconds = budgetSeconds <= 0 ? 10 : budgetSeconds;
            concurrency = concurrency <= 0 ? 4 : concurrency;
            block = block == null ? ReplayBlock.STATUS : block;
            skip = skip == null ? List.of() : List.copyOf(skip);
            if (requests > 10_000) throw new IllegalArgumentException("preflight replay requests must be at most 10000");
            if (budgetSeconds > 600) throw new IllegalArgumentException("preflight replay budgetSeconds must be at most 600");
            if (concurrency > 64) throw new IllegalArgumentException("preflight replay concurrency must be at most 64");
            for (String p : skip) {
                if (p == null || !p.startsWith("/")) throw new IllegalArgumentException("a replay skip prefix must start with '/': " + p);
            }
        }

        public Duration budget() { return Duration.ofSeconds(budgetSeconds); }

        public boolean skips(String path) { return skip.stream().anyMatch(path::startsWith); }
    }

    /** One request of a preflight: {@code status} 0 means 200; {@code body} null means any body. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Probe(String path, int status, @JsonInclude(JsonInclude.Include.NON_NULL) String body) {
        public Probe {
            if (path == null || !path.startsWith("/")) throw new IllegalArgumentException("a preflight probe's path must start with '/': " + path);
            status = status == 0 ? 200 : status;
            if (status < 100 || status > 599) throw new IllegalArgumentException("a preflight probe's status must be 100..599: " + status);
            if (body != null) {
                try {
                    Pattern.compile(body);
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("a preflight probe's body is not a regular expression: " + e.getDescription());
                }
            }
        }
    }

    /**
     * The answer to a long-poll and to a report: the version the host should run (null: none), on a long-poll asked with
     * {@code bundle=inline} the version's bundle as rendered for the host when it is small enough, and the service's
     * preflight probes (null: the spec declares none).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Desired(Integer desiredVersion, @JsonInclude(JsonInclude.Include.NON_NULL) Bundle bundle,
                          @JsonInclude(JsonInclude.Include.NON_NULL) PreflightSpec preflight) {
        public Desired(Integer desiredVersion, Bundle bundle) {
            this(desiredVersion, bundle, null);
        }

        /** The bundle came with the answer, and it is of the desired version. */
        public boolean carriesBundle() {
            return desiredVersion != null && bundle != null && bundle.version() == desiredVersion;
        }
    }

    /**
     * What an agent applies: a version's whole tree as rendered for one host ({@code env} and {@code host} say which; both
     * null for a tree that renders the same everywhere), and the hash of that tree to check it arrived whole.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Bundle(String service, int version, @JsonInclude(JsonInclude.Include.NON_NULL) String env,
                         @JsonInclude(JsonInclude.Include.NON_NULL) String host, String treeHash, List<WireEntry> entries,
                         @JsonInclude(JsonInclude.Include.NON_EMPTY) List<WireDirectory> directories) {
        public Bundle(String service, int version, String env, String host, String treeHash, List<WireEntry> entries) {
            this(service, version, env, host, treeHash, entries, null);
        }

        public Bundle(String service, int version, String treeHash, List<WireEntry> entries) {
            this(service, version, null, null, treeHash, entries, null);
        }

        /** Is this the bundle of {@code version} for that host (or one for every host)? */
        public boolean isFor(String service, int version, String env, String host) {
            return this.version == version && service.equals(this.service) && (this.env == null || this.env.equals(env))
                    && (this.host == null || this.host.equals(host));
        }

        /** Characters of file content it carries (base64): what decides whether it rides along with a long-poll answer. */
        public long chars() {
            long n = 0;
            for (WireEntry e : entries) n += e.base64() == null ? 0 : e.base64().length();
            return n;
        }
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max) + "…";
    }

    /** The long-poll's {@code known} parameter for a version (null: none). */
    public static String known(Integer version) {
        return version == null ? NONE : version.toString();
    }

    public static String desiredPath(String service, String env, String host, String known, boolean inline, long waitSeconds) {
        return hostPath(service, env, host) + "/desired?known=" + enc(known) + (inline ? "&bundle=" + INLINE : "") + "&waitSeconds="
                + waitSeconds;
    }

    /**
     * The host's stream (server-sent events): an event {@value #DESIRED_EVENT} with a {@link Desired} (bundle inline) each time
     * the desired version differs from the one the host last heard of, starting from {@code known}; comments in between as
     * heartbeats, one every {@code heartbeatSeconds} (at most {@value #STREAM_HEARTBEAT_SECONDS}; 0: the server's default, that
     * maximum). A server without it answers 404: the agent long-polls instead.
     */
    public static String streamPath(String service, String env, String host, String known, int heartbeatSeconds) {
        return hostPath(service, env, host) + "/stream?known=" + enc(known) + (heartbeatSeconds > 0 ? "&heartbeatSeconds=" + heartbeatSeconds : "");
    }

    /**
     * The stream's longest (and default) heartbeat: below the idle timeouts of common proxies (nginx's 60 s), so a quiet
     * stream is never cut by one; an agent that hears nothing for three of them takes the connection for dead.
     */
    public static final int STREAM_HEARTBEAT_SECONDS = 25;

    /** The name of the stream's event that carries a {@link Desired}. */
    public static final String DESIRED_EVENT = "desired";

    /**
     * The host's channel (a WebSocket, both ways, on one connection authenticated once when it opens): the server sends a
     * {@link ChannelMessage} with {@code desired} (bundle inline) each time the desired version differs from the one the host
     * last heard of, starting from {@code known}, and a ping every {@code heartbeatSeconds} (as the stream's heartbeat); the
     * agent sends each {@link Report} as a text frame and gets one {@link ChannelMessage} back per report, in order:
     * {@code reported} once the report is committed, or {@code error}. A server without it refuses the upgrade (404): the
     * agent streams or long-polls and reports by POST instead.
     */
    public static String channelPath(String service, String env, String host, String known, int heartbeatSeconds) {
        return hostPath(service, env, host) + "/channel?known=" + enc(known) + (heartbeatSeconds > 0 ? "&heartbeatSeconds=" + heartbeatSeconds : "");
    }

    /**
     * The header of a long-poll's answer saying where the server's channel has a port of its own (as
     * {@link Registered#channelUrl}): an agent that moved to another server learns that server's without registering again.
     */
    public static final String CHANNEL_HEADER = "Rollguard-Channel";

    /** The channel's route (Javalin's path pattern). */
    public static final String CHANNEL_ROUTE = "/api/v1/agents/{service}/{env}/{host}/channel";

    /**
     * One text frame from the server on the channel: exactly one of {@code desired} (a release: the long-poll's answer),
     * {@code reported} (the answer to the oldest report not yet answered: committed, and the version the host should run) or
     * {@code error} (that report was refused, and why; the agent sends it again later, as after a failed POST).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ChannelMessage(Desired desired, Desired reported, ChannelError error) {}

    /** A report the server could not take over the channel: the same code and message as the POST's error answer. */
    public record ChannelError(int status, String code, String message) {}

    /** Where a host fetches {@code version} as rendered for it (a bundle too large to come with the long-poll's answer). */
    public static String bundlePath(String service, int version, String env, String host) {
        return "/api/v1/services/" + enc(service) + "/versions/" + version + "/bundle?env=" + enc(env) + "&host=" + enc(host);
    }

    public static String reportPath(String service, String env, String host) {
        return hostPath(service, env, host) + "/report";
    }

    private static String hostPath(String service, String env, String host) {
        return "/api/v1/agents/" + enc(service) + "/" + enc(env) + "/" + enc(host);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
