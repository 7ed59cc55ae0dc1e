package dev.rollguard.rollout;

import dev.rollguard.Problem;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.versions.Bundles;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** The server's side of the agent protocol: registration, reports and the long-poll for a host's desired version. */
public final class AgentService {
    public static final long REPORT_INTERVAL_MILLIS = 500;
    /** Bundles above this size are fetched on their own: a long-poll answer should stay small enough to retry cheaply. */
    public static final int INLINE_BUNDLE_CHARS = 1 << 20;
    private static final int MAX_WAIT_SECONDS = 60;

    private final HostRegistry hosts;
    private final Bundles bundles;
    /** The spec's probes as read for the last wake-up that brought hosts a release. */
    private volatile Preflight lastPreflight;

    private record Preflight(String service, HostSignals.Desired wake, AgentProtocol.PreflightSpec spec) {}

    /** A version as the long-poll's {@code known} spells it. */
    private record Spelt(int version, String text) {}

    /** The version last spelt ({@link #same}). */
    private volatile Spelt spelt;

    public AgentService(HostRegistry hosts, Bundles bundles) {
        this.hosts = hosts;
        this.bundles = bundles;
    }

    public AgentProtocol.Registered register(AgentProtocol.Register r) {
        return register(r, null);
    }

    /** As above; an {@code enrolment} token registers hosts only up to its limit. */
    public AgentProtocol.Registered register(AgentProtocol.Register r, HostRegistry.Enrolment enrolment) {
        if (r.service() == null || r.env() == null || r.host() == null) {
            throw Problem.badRequest("invalid_request", "register needs 'service', 'env' and 'host'");
        }
        HostInfo h = hosts.register(r.service(), r.env(), r.host(), r.labels(), enrolment);
        return new AgentProtocol.Registered(h.host(), h.desiredVersion(), REPORT_INTERVAL_MILLIS);
    }

    /** Whether {@code who} (null: a person) may speak for this host ({@link HostRegistry#requireCredential}). */
    public void requireCredential(String service, String env, String host, HostRegistry.Enrolment who) {
        hosts.requireCredential(service, env, host, who);
    }

    /** Completes when the report is committed, with the version the host should run. */
    public CompletableFuture<AgentProtocol.Desired> report(String service, String env, String host, AgentProtocol.Report r) {
        return hosts.report(service, env, host, r.appliedVersion(), r.failedVersion(), r.applyError(), r.failure(), r.samples())
                .thenApply(v -> new AgentProtocol.Desired(v, null));
    }

    /**
     * Long-poll: answers at once when the desired version differs from {@code known}, else when it changes or after
     * {@code waitSeconds} (default 30, at most 60). With {@code inline} the answer carries the new version's bundle (up
     * to {@link #INLINE_BUNDLE_CHARS}), so a fleet takes a release in one exchange per host instead of two.
     */
    public CompletableFuture<AgentProtocol.Desired> poll(String service, String env, String host, String known, String bundleMode,
                                                          Integer waitSeconds) {
        return poll(service, env, host, known, bundleMode, waitSeconds, false);
    }

    /**
     * As above; {@code enrolled}: the caller is the host's own agent (an enrolment token), the only one whose inline bundle
     * carries secret values opened. A person polling as a host sees them masked.
     */
    public CompletableFuture<AgentProtocol.Desired> poll(String service, String env, String host, String known, String bundleMode,
                                                          Integer waitSeconds, boolean enrolled) {
        String k = known == null ? "" : known;
        if (bundleMode != null && !bundleMode.equals(AgentProtocol.INLINE) && !bundleMode.equals(AgentProtocol.NONE)) {
            throw Problem.badRequest("invalid_parameter", "'bundle' is 'inline' or 'none', not '" + bundleMode + "'");
        }
        boolean inline = AgentProtocol.INLINE.equals(bundleMode);
        int wait = waitSeconds == null ? 30 : Math.max(0, Math.min(MAX_WAIT_SECONDS, waitSeconds));
        return awaitChange(new HostSignals.Host(service, env, host), k, System.nanoTime() + Duration.ofSeconds(wait).toNanos()).thenApply(d -> {
            Integer version = d.version();
            return new AgentProtocol.Desired(version, inline ? inlineBundle(service, env, host, version, k, enrolled) : null,
                    // the probes go with a version the host is about to stage, not with every answer
                    version == null || same(version, k) ? null : preflight(service, d));
        });
    }

    /**
     * The spec's probes, read once for all the hosts one wake-up brought a release to ({@code d} is then the one object
     * they share), instead of the spec read once per host; an answer that came from a read reads the spec itself.
     */
    private AgentProtocol.PreflightSpec preflight(String service, HostSignals.Desired d) {
        Preflight m = lastPreflight;
        if (m != null && m.wake() == d && m.service().equals(service)) return m.spec();
        AgentProtocol.PreflightSpec spec = hosts.preflight(service);
        lastPreflight = new Preflight(service, d, spec);
        return spec;
    }

    /**
     * The host's desired version once it differs from {@code known}, or at the deadline whatever it is. Subscribes
     * before reading, so a change between the two is never missed; a wake-up that brings the version the host already
     * knows (a release re-confirming what it runs) keeps the poll waiting instead of costing the host a round trip.
     */
    private CompletableFuture<HostSignals.Desired> awaitChange(HostSignals.Host host, String known, long deadlineNanos) {
        CompletableFuture<HostSignals.Desired> signal = hosts.signals().await(host, deadlineNanos);
        Integer now;
        try {
            now = hosts.desiredVersion(host);
        } catch (RuntimeException e) {
            signal.cancel(false);
            throw e;
        }
        long left = deadlineNanos - System.nanoTime();
        if (!same(now, known) || left <= 0) {
            signal.cancel(false);
            return CompletableFuture.completedFuture(new HostSignals.Desired(now));
        }
        return signal.thenCompose(d -> {
            if (d == HostSignals.TIMED_OUT) return CompletableFuture.completedFuture(new HostSignals.Desired(hosts.desiredVersion(host)));
            // a wake-up without the version (hosts woken with different ones) re-reads it
            HostSignals.Desired woken = d == null ? new HostSignals.Desired(hosts.desiredVersion(host)) : d;
            if (!same(woken.version(), known)) return CompletableFuture.completedFuture(woken);
            return awaitChange(host, known, deadlineNanos);
        });
    }

    /** The version as rendered for this host, when it is new to the host and small enough to ride along. */
    private AgentProtocol.Bundle inlineBundle(String service, String env, String host, Integer version, String known, boolean enrolled) {
        if (version == null || same(version, known)) return null;
        AgentProtocol.Bundle bundle = enrolled ? bundles.forAgent(service, version, env, host) : bundles.withSecretsMasked(service, version, env, host);
        return bundle.chars() <= INLINE_BUNDLE_CHARS ? bundle : null;
    }

    /**
     * Whether {@code known} names the version {@code desired}. Asked two or three times a poll: the version is spelt once
     * for all the polls of a release, not as a new string each time.
     */
    private boolean same(Integer desired, String known) {
        if (desired == null) return AgentProtocol.known(null).equals(known);
        Spelt s = spelt;
        if (s == null || s.version() != desired) spelt = s = new Spelt(desired, AgentProtocol.known(desired));
        return s.text().equals(known);
    }
}
