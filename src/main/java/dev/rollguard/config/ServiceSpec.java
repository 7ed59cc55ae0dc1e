package dev.rollguard.config;

import dev.rollguard.Problem;
import dev.rollguard.protocol.AgentProtocol;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * How a service is managed: its environments in promotion order, its validators, its rollout policy and, optionally, the
 * Prometheus whose queries tell its hosts' health beside the agents' reports, the probes its agents' preflight
 * requests from a staged version (null: none declared), and the owners and modes its files get ({@link Ownership}).
 * Stored as JSON;
 * unknown fields are ignored so older servers can read newer specs.
 */
public record ServiceSpec(String description, List<String> environments, ValidationSettings validation, RolloutPolicy rollout,
                          IncidentSettings incidents, List<String> secretPatterns, PrometheusSettings prometheus,
                          AgentProtocol.PreflightSpec preflight, List<Ownership> ownership) {
    public static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9._-]{0,99}$");
    public static final List<String> DEFAULT_ENVIRONMENTS = List.of("testing", "production");

    public ServiceSpec {
        environments = environments == null || environments.isEmpty() ? DEFAULT_ENVIRONMENTS : List.copyOf(environments);
        validation = validation == null ? ValidationSettings.DEFAULT : validation;
        rollout = rollout == null ? RolloutPolicy.defaults() : rollout;
        incidents = incidents == null ? IncidentSettings.DEFAULT : incidents;
        secretPatterns = secretPatterns == null ? List.of() : List.copyOf(secretPatterns);
        ownership = ownership == null ? List.of() : List.copyOf(ownership);
        Secrets.of(secretPatterns);
        if (new HashSet<>(environments).size() != environments.size()) {
            throw Problem.badRequest("invalid_spec", "environment names must be unique: " + environments);
        }
        if (prometheus != null) {
            long least = prometheus.minimumBakeSeconds();
            for (RolloutPolicy.Wave w : rollout.waves()) {
                if (w.bakeSeconds() < least) {
                    throw Problem.badRequest("invalid_spec", "the prometheus queries look back " + prometheus.settle().toSeconds()
                            + " s: every wave needs bakeSeconds >= " + least + " (look-back + 2 polls + timeout), or a wave "
                            + "would pass before its canary's own traffic shows; a wave has " + w.bakeSeconds());
                }
            }
        }
        for (String e : environments) {
            if (!NAME.matcher(e).matches()) throw Problem.badRequest("invalid_spec", "invalid environment name: '" + e + "'");
        }
    }

    /** A spec without ownership rules. */
    public ServiceSpec(String description, List<String> environments, ValidationSettings validation, RolloutPolicy rollout,
                       IncidentSettings incidents, List<String> secretPatterns, PrometheusSettings prometheus,
                       AgentProtocol.PreflightSpec preflight) {
        this(description, environments, validation, rollout, incidents, secretPatterns, prometheus, preflight, null);
    }

    /** What masks secret values of this service's files wherever people see them. */
    public Secrets secrets() {
        return Secrets.of(secretPatterns);
    }

    /** The spec with these ownership rules. */
    public ServiceSpec withOwnership(List<Ownership> rules) {
        return new ServiceSpec(description, environments, validation, rollout, incidents, secretPatterns, prometheus, preflight, rules);
    }

    public static ServiceSpec defaults() {
        return new ServiceSpec(null, null, null, null, null, null, null, null, null);
    }

    /** The spec with these preflight probes (null: none declared; each agent's own flags or default then). */
    public ServiceSpec withPreflight(AgentProtocol.PreflightSpec p) {
        return new ServiceSpec(description, environments, validation, rollout, incidents, secretPatterns, prometheus, p, ownership);
    }

    public ServiceSpec withEnvironments(List<String> envs) {
        return new ServiceSpec(description, envs, validation, rollout, incidents, secretPatterns, prometheus, preflight, ownership);
    }

    /** The spec as shown to people: webhook secrets and routing keys masked. */
    public ServiceSpec masked() {
        return new ServiceSpec(description, environments, validation, rollout, incidents.masked(), secretPatterns, prometheus, preflight, ownership);
    }

    /** A spec read back from {@link #masked()} and sent again keeps the stored secrets where it shows the mask. */
    public ServiceSpec keepingSecretsOf(ServiceSpec stored) {
        if (stored == null) return this;
        List<IncidentSettings.Channel> channels = new ArrayList<>();
        for (IncidentSettings.Channel c : incidents.channels()) {
            IncidentSettings.Channel old = stored.incidents().channels().stream().filter(o -> o.name().equals(c.name())).findFirst().orElse(null);
            String secret = "********".equals(c.secret()) && old != null ? old.secret() : c.secret();
            String key = "********".equals(c.routingKey()) && old != null ? old.routingKey() : c.routingKey();
            // a URL shown with its credentials masked (user:pass@, a Slack webhook's path) means the stored one
            String url = old != null && c.url().contains(Secrets.MASK) && c.url().equals(old.masked().url()) ? old.url() : c.url();
            channels.add(new IncidentSettings.Channel(c.name(), c.kind(), url, secret, key, c.minSeverity()));
        }
        IncidentSettings i = incidents;
        return new ServiceSpec(description, environments, validation, rollout,
                new IncidentSettings(i.sloErrorPercent(), i.sloWindowSeconds(), i.sloMinRequests(), channels), secretPatterns, prometheus, preflight, ownership);
    }

    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw Problem.badRequest("invalid_name", "invalid service name '" + name
                    + "': use 1-100 characters a-z, 0-9, '.', '_', '-', starting with a letter or digit");
        }
        return name;
    }
}
