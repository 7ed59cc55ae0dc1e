package dev.rollguard.incident;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.config.Severity;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prometheus Alertmanager's webhook payload (version 4), read strictly: whatever is missing or malformed is named
 * in a 400, with the JSON path of the culprit. Service and environment come from the alert's labels
 * ({@code service}, {@code env} or {@code environment}), then the group's common labels, then the query.
 */
public final class Alertmanager {
    private static final int MAX_ALERTS = 1000;

    private Alertmanager() {}

    public record Alert(String service, String env, String name, boolean firing, Severity severity, String summary,
                        Map<String, String> labels, Instant startsAt, Instant endsAt, String fingerprint) {}

    public record Payload(String groupKey, String status, List<Alert> alerts) {}

    public static Payload parse(String body, String defaultService, String defaultEnv) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (Exception e) {
            throw bad("request body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) throw bad("an Alertmanager webhook body must be a JSON object");
        JsonNode version = root.get("version");
        if (version != null && !"4".equals(version.asText())) {
            throw bad("unsupported Alertmanager webhook version '" + version.asText() + "' (expected \"4\")");
        }
        JsonNode alerts = root.get("alerts");
        if (alerts == null || !alerts.isArray()) throw bad("'alerts' must be an array of alerts");
        if (alerts.isEmpty()) throw bad("'alerts' is empty: nothing to do");
        if (alerts.size() > MAX_ALERTS) throw bad("at most " + MAX_ALERTS + " alerts per request, got " + alerts.size());
        Map<String, String> common = labels(root.get("commonLabels"), "commonLabels", true);
        List<Alert> out = new ArrayList<>();
        for (int k = 0; k < alerts.size(); k++) {
            String at = "alerts[" + k + "]";
            JsonNode a = alerts.get(k);
            if (!a.isObject()) throw bad(at + " must be an object");
            String status = text(a, "status", at);
            if (!status.equals("firing") && !status.equals("resolved")) {
                throw bad(at + ".status must be \"firing\" or \"resolved\", not \"" + status + "\"");
            }
            Map<String, String> labels = labels(a.get("labels"), at + ".labels", false);
            String name = labels.get("alertname");
            if (name == null || name.isBlank()) throw bad(at + ".labels.alertname is missing");
            String service = first(labels.get("service"), common.get("service"), defaultService);
            if (service == null) throw bad(at + " names no service: add a 'service' label or ?service= to the webhook URL");
            String env = first(first(labels.get("env"), labels.get("environment")), first(common.get("env"), common.get("environment")),
                    defaultEnv);
            Map<String, String> annotations = labels(a.get("annotations"), at + ".annotations", true);
            Instant starts = time(a, "startsAt", at, true);
            Instant ends = time(a, "endsAt", at, false);
            // Alertmanager writes 0001-01-01T00:00:00Z for "not ended"
            if (ends != null && ends.getEpochSecond() < 0) ends = null;
            String fingerprint = a.hasNonNull("fingerprint") ? a.get("fingerprint").asText() : Integer.toHexString(labels.hashCode());
            out.add(new Alert(service, env, name, status.equals("firing"), severity(labels.get("severity")),
                    first(annotations.get("summary"), annotations.get("description"), null), labels, starts, ends, fingerprint));
        }
        return new Payload(root.path("groupKey").asText(null), root.path("status").asText(null), out);
    }

    private static Severity severity(String label) {
        if (label == null) return Severity.SEV3;
        return switch (label.trim().toLowerCase()) {
            case "sev1", "page" -> Severity.SEV1;
            case "sev2", "critical", "error", "high" -> Severity.SEV2;
            case "sev4", "info", "low", "none" -> Severity.SEV4;
            default -> Severity.SEV3;
        };
    }

    private static Map<String, String> labels(JsonNode n, String at, boolean optional) {
        Map<String, String> m = new TreeMap<>();
        if (n == null || n.isNull()) {
            if (optional) return m;
            throw bad(at + " is missing");
        }
        if (!n.isObject()) throw bad(at + " must be an object of strings");
        Iterator<Map.Entry<String, JsonNode>> it = n.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getValue().isTextual()) throw bad(at + "." + e.getKey() + " must be a string");
            m.put(e.getKey(), e.getValue().asText());
        }
        return m;
    }

    private static String text(JsonNode n, String field, String at) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw bad(at + "." + field + " is missing");
        if (!v.isTextual()) throw bad(at + "." + field + " must be a string");
        return v.asText();
    }

    private static Instant time(JsonNode n, String field, String at, boolean required) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull() || v.asText().isEmpty()) {
            if (required) throw bad(at + "." + field + " is missing (an RFC 3339 time)");
            return null;
        }
        try {
            return OffsetDateTime.parse(v.asText()).toInstant();
        } catch (DateTimeParseException e) {
            throw bad(at + "." + field + " is not an RFC 3339 time: \"" + v.asText() + "\"");
        }
    }

    private static String first(String a, String b, String c) {
        return a != null && !a.isBlank() ? a : b != null && !b.isBlank() ? b : c;
    }

    private static String first(String a, String b) {
        return first(a, b, null);
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static Problem bad(String message) {
        return Problem.badRequest("invalid_alertmanager_payload", message);
    }
}
