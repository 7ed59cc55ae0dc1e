package dev.rollguard;

import java.util.Map;

/**
 * A failure the caller can act on: a stable machine-readable code, a one-line message for people and
 * the HTTP status the API answers with. Everything user-facing (API, CLI) reports these and nothing else.
 */
public class Problem extends RuntimeException {
    private final String code;
    private final int status;
    private final transient Map<String, Object> details;

    public Problem(int status, String code, String message) {
        this(status, code, message, Map.of());
    }

    public Problem(int status, String code, String message, Map<String, Object> details) {
        super(message);
        this.code = code;
        this.status = status;
        this.details = Map.copyOf(details);
    }

    public String code() { return code; }
    public int status() { return status; }
    public Map<String, Object> details() { return details; }

    public static Problem badRequest(String code, String message) { return new Problem(400, code, message); }
    public static Problem notFound(String code, String message) { return new Problem(404, code, message); }
    public static Problem conflict(String code, String message) { return new Problem(409, code, message); }
}
