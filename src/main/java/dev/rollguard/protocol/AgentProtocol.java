package dev.rollguard.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.rollguard.health.HealthStore;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

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

    /** The answer to {@link Register}: what the host should run (null: nothing yet) and how often to report. */
    public record Registered(String host, Integer desiredVersion, long reportIntervalMillis) {}

    /** What a host runs, what failed to apply there and why, and its health since the last report. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Report(Integer appliedVersion, Integer failedVersion, String applyError, List<HealthStore.Sample> samples) {}

    /**
     * The answer to a long-poll and to a report: the version the host should run (null: none), and on a long-poll asked
     * with {@code bundle=inline} the version's bundle when it is small enough.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Desired(Integer desiredVersion, @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode bundle) {
        /** An answer carrying a bundle as the server stores it (JSON text), written out without parsing it again. */
        public static Desired withBundleJson(Integer desiredVersion, String bundleJson) {
            return new Desired(desiredVersion, bundleJson == null ? null : JsonNodeFactory.instance.rawValueNode(new RawValue(bundleJson)));
        }

        /** The bundle came with the answer, and it is of the desired version. */
        public boolean carriesBundle() {
            return desiredVersion != null && bundle != null && bundle.path("version").asInt(-1) == desiredVersion;
        }
    }

    /** The long-poll's {@code known} parameter for a version (null: none). */
    public static String known(Integer version) {
        return version == null ? NONE : version.toString();
    }

    public static String desiredPath(String service, String env, String host, String known, boolean inline, long waitSeconds) {
        return hostPath(service, env, host) + "/desired?known=" + enc(known) + (inline ? "&bundle=" + INLINE : "") + "&waitSeconds="
                + waitSeconds;
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
