package dev.rollguard.prometheus;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PromQL templates filled per host, and the HTTP API's answers read as one number or a clear "no data". Pure. */
public final class PromQl {
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)}|\\$(\\w+)");

    private PromQl() {}

    /** What one query said: a number, or why there is none. */
    public sealed interface Result permits Value, NoData {}

    public record Value(double value) implements Result {}

    public record NoData(String reason) implements Result {}

    /**
     * Replaces {@code $name} and {@code ${name}} by the variable's value escaped for a double-quoted PromQL string
     * (a host name holding a quote cannot end the label matcher). Unknown variables are left as they are, for
     * PromQL itself to refuse.
     */
    public static String fill(String template, Map<String, String> vars) {
        Matcher m = VARIABLE.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            String value = vars.get(name);
            m.appendReplacement(sb, Matcher.quoteReplacement(value == null ? m.group() : escape(value)));
        }
        return m.appendTail(sb).toString();
    }

    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /**
     * One number from a {@code /api/v1/query} answer: a scalar, or a vector of exactly one series. An error, an
     * empty vector (no such series: nothing scraped, or a label that matches nothing) or several series (the query
     * should aggregate) is no data. NaN is a value: what it means depends on the query (see {@link PrometheusSource}).
     */
    public static Result read(JsonNode answer) {
        if (!"success".equals(answer.path("status").asText())) {
            return new NoData("query failed: " + answer.path("errorType").asText("error") + ": " + answer.path("error").asText("?"));
        }
        JsonNode data = answer.path("data");
        String type = data.path("resultType").asText();
        JsonNode sample;
        if (type.equals("scalar")) {
            sample = data.path("result");
        } else if (type.equals("vector")) {
            JsonNode result = data.path("result");
            if (result.isEmpty()) return new NoData("the query returned no series");
            if (result.size() > 1) return new NoData("the query returned " + result.size() + " series; aggregate it to one (sum, max)");
            sample = result.get(0).path("value");
        } else {
            return new NoData("the query returned a " + type + ", not an instant vector or scalar");
        }
        double v;
        try {
            v = Double.parseDouble(sample.path(1).asText());
        } catch (NumberFormatException e) {
            return new NoData("the query returned a value that is not a number: " + sample.path(1).asText());
        }
        return new Value(v);
    }
}
