package dev.rollguard.config;

import dev.rollguard.Problem;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Per service: the health SLO whose breach outside a rollout opens an incident, and where incidents are sent.
 *
 * @param sloErrorPercent  5xx share over the window that counts as a breach (default 5 %)
 * @param sloWindowSeconds the window (default 60 s)
 * @param sloMinRequests   fewer requests than this in the window say nothing (default 100)
 */
public record IncidentSettings(Double sloErrorPercent, Integer sloWindowSeconds, Long sloMinRequests, List<Channel> channels) {
    public enum Kind { SLACK, PAGERDUTY, GENERIC }

    /**
     * One webhook. {@code minSeverity}: the least severe incident it is told about (default SEV3: reviews of
     * break-glass releases, SEV4, are not paged).
     */
    public record Channel(String name, Kind kind, String url, String secret, String routingKey, Severity minSeverity) {
        public Channel {
            if (kind == null) throw Problem.badRequest("invalid_spec", "a notification channel needs a kind: slack, pagerduty or generic");
            if (url == null || url.isBlank()) throw Problem.badRequest("invalid_spec", "notification channel needs a url");
            URI u;
            try {
                u = URI.create(url.trim());
            } catch (IllegalArgumentException e) {
                throw Problem.badRequest("invalid_spec", "notification channel url is not a URL: " + url);
            }
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                throw Problem.badRequest("invalid_spec", "notification channel url must be http(s)://host/...: " + url);
            }
            if (kind == Kind.PAGERDUTY && (routingKey == null || routingKey.isBlank())) {
                throw Problem.badRequest("invalid_spec", "a pagerduty channel needs a routingKey (the integration key)");
            }
            name = name == null || name.isBlank() ? kind.name().toLowerCase() : name;
            minSeverity = minSeverity == null ? Severity.SEV3 : minSeverity;
        }

        public boolean wants(Severity s) {
            return s.atLeast(minSeverity);
        }

        /** The channel as shown to people: secrets masked, the URL's too (user:pass@, a Slack webhook's path). */
        public Channel masked() {
            return new Channel(name, kind, Secrets.builtIn().mask(url), secret == null ? null : "********", routingKey == null ? null : "********", minSeverity);
        }
    }

    public static final IncidentSettings DEFAULT = new IncidentSettings(null, null, null, null);

    public IncidentSettings {
        sloErrorPercent = sloErrorPercent == null ? 5.0 : sloErrorPercent;
        sloWindowSeconds = sloWindowSeconds == null ? 60 : sloWindowSeconds;
        sloMinRequests = sloMinRequests == null ? 100L : sloMinRequests;
        channels = channels == null ? List.of() : List.copyOf(channels);
        if (sloErrorPercent <= 0 || sloErrorPercent > 100) throw Problem.badRequest("invalid_spec", "sloErrorPercent must be in (0, 100]");
        if (sloWindowSeconds < 5 || sloWindowSeconds > 3600) throw Problem.badRequest("invalid_spec", "sloWindowSeconds must be 5..3600");
        Set<String> names = new HashSet<>();
        for (Channel c : channels) {
            if (!names.add(c.name())) throw Problem.badRequest("invalid_spec", "notification channel names must be unique: " + c.name());
        }
    }

    public IncidentSettings masked() {
        List<Channel> m = new ArrayList<>();
        for (Channel c : channels) m.add(c.masked());
        return new IncidentSettings(sloErrorPercent, sloWindowSeconds, sloMinRequests, m);
    }
}
