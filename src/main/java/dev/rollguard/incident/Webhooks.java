package dev.rollguard.incident;

import dev.rollguard.Json;
import dev.rollguard.config.IncidentSettings;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The bodies of outgoing webhooks, in the formats people already consume, and their signature. */
public final class Webhooks {
    public static final String SIGNATURE_HEADER = "X-Rollguard-Signature";

    private Webhooks() {}

    /** A stable key per incident: PagerDuty folds trigger, acknowledge and resolve of one incident into one alert. */
    public static String dedupKey(Incident i) {
        return "rollguard-incident-" + i.id();
    }

    /** @param link where people open the incident (the dashboard) */
    public static String payload(IncidentSettings.Channel c, PageAction action, Incident i, String link) {
        return Json.write(switch (c.kind()) {
            case PAGERDUTY -> pagerDuty(c, action, i, link);
            case SLACK -> slack(action, i, link);
            case GENERIC -> generic(action, i, link);
        });
    }

    /** PagerDuty has no "mitigated": it is told trigger, acknowledge and resolve only. */
    public static boolean supports(IncidentSettings.Kind kind, PageAction action) {
        return kind != IncidentSettings.Kind.PAGERDUTY || action != PageAction.MITIGATED;
    }

    static String summary(Incident i) {
        String s = "[" + i.severity() + "] " + i.service() + (i.env() == null ? "" : "/" + i.env()) + ": " + i.title();
        return s.length() <= 1024 ? s : s.substring(0, 1023) + "…";
    }

    private static Map<String, Object> pagerDuty(IncidentSettings.Channel c, PageAction action, Incident i, String link) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("routing_key", c.routingKey());
        m.put("event_action", action.wire());
        m.put("dedup_key", dedupKey(i));
        if (action == PageAction.TRIGGER) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("summary", summary(i));
            p.put("source", "rollguard/" + i.service() + (i.env() == null ? "" : "/" + i.env()));
            p.put("severity", i.severity().pagerDuty());
            p.put("timestamp", i.openedAt().toString());
            p.put("component", i.service());
            if (i.env() != null) p.put("group", i.env());
            p.put("class", i.source().name().toLowerCase());
            p.put("custom_details", details(i));
            m.put("payload", p);
            m.put("client", "Rollguard");
            if (link != null) {
                m.put("client_url", link);
                m.put("links", List.of(Map.of("href", link, "text", "Incident #" + i.id() + " in Rollguard")));
            }
        }
        return m;
    }

    private static Map<String, Object> slack(PageAction action, Incident i, String link) {
        String verb = switch (action) {
            case TRIGGER -> ":rotating_light: Incident #" + i.id() + " opened";
            case ACKNOWLEDGE -> ":eyes: Incident #" + i.id() + " acknowledged";
            case MITIGATED -> ":large_yellow_circle: Incident #" + i.id() + " mitigated";
            case RESOLVE -> ":white_check_mark: Incident #" + i.id() + " resolved";
        };
        StringBuilder text = new StringBuilder(verb).append(" — ").append(summary(i));
        Impact im = i.impact();
        if (im != null && im.requestsTotal() > 0) {
            text.append("\nImpact: ").append(im.requestsFailed()).append(" failed of ").append(im.requestsTotal())
                    .append(" requests, peak ").append(im.peakPercent()).append("% of traffic, ").append(im.hostsAffected())
                    .append(" of ").append(im.hostsTotal()).append(" host(s)");
        }
        if (link != null) text.append("\n<").append(link).append("|Open in Rollguard>");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", text.toString());
        m.put("blocks", List.of(Map.of("type", "section", "text", Map.of("type", "mrkdwn", "text", text.toString()))));
        return m;
    }

    private static Map<String, Object> generic(PageAction action, Incident i, String link) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "incident." + action.wire());
        m.put("dedupKey", dedupKey(i));
        m.put("incident", details(i));
        if (link != null) m.put("url", link);
        return m;
    }

    private static Map<String, Object> details(Incident i) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("id", i.id());
        d.put("title", i.title());
        d.put("severity", i.severity().name());
        d.put("status", i.status().lower());
        d.put("service", i.service());
        d.put("environment", i.env());
        d.put("source", i.source().name().toLowerCase());
        if (i.fromVersion() != null) d.put("fromVersion", i.fromVersion());
        if (i.toVersion() != null) d.put("toVersion", i.toVersion());
        if (i.rolloutId() != null) d.put("rolloutId", i.rolloutId());
        d.put("openedAt", i.openedAt().toString());
        if (i.impact() != null) d.put("impact", i.impact());
        return d;
    }

    /** {@code t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">}: the timestamp in the MAC stops replays of old bodies. */
    public static String signature(String secret, long unixSeconds, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] sig = mac.doFinal((unixSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
            return "t=" + unixSeconds + ",v1=" + HexFormat.of().formatHex(sig);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Checks a signature header in constant time (for receivers, and our tests). */
    public static boolean verify(String secret, String header, String body, long nowSeconds, long toleranceSeconds) {
        if (header == null) return false;
        long t = -1;
        for (String part : header.split(",")) {
            if (part.startsWith("t=")) {
                try {
                    t = Long.parseLong(part.substring(2));
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        if (t < 0 || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
        return MessageDigest.isEqual(signature(secret, t, body).getBytes(StandardCharsets.UTF_8),
                header.getBytes(StandardCharsets.UTF_8));
    }
}
