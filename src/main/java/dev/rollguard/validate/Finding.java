package dev.rollguard.validate;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.Hashing;

/** One problem found in a config tree. Line and column are 1-based; 0 means "whole file". */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Finding(String id, String rule, FindingSeverity severity, String path, int line, int column,
                      String message, String suggestion, Fix fix) {

    public static Finding of(String rule, FindingSeverity severity, String path, int line, int column,
                             String message, String suggestion, Fix fix) {
        String id = Hashing.sha256(rule + '\0' + path + '\0' + line + '\0' + column + '\0' + message).substring(0, 10);
        return new Finding(id, rule, severity, path, line, column, message, suggestion, fix);
    }

    public static Finding error(String rule, String path, int line, int column, String message) {
        return of(rule, FindingSeverity.ERROR, path, line, column, message, null, null);
    }

    /** "path:line:col: severity: message (did you mean ...)" — the format editors and people read. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(path == null ? "<tree>" : path);
        if (line > 0) sb.append(':').append(line);
        if (line > 0 && column > 0) sb.append(':').append(column);
        sb.append(": ").append(severity.name().toLowerCase()).append(": ").append(message)
                .append(" [").append(rule).append(']');
        if (suggestion != null) sb.append("\n    ").append(suggestion);
        return sb.toString();
    }
}
