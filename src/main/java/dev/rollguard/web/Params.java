package dev.rollguard.web;

import dev.rollguard.Problem;
import io.javalin.http.Context;

/**
 * Path and query parameters, parsed in one place: a value that is not what the parameter takes is the caller's
 * mistake (400 {@code invalid_parameter}, naming the parameter), never a server error.
 */
public final class Params {
    private Params() {}

    /** The raw value: the path's if the route has such a path parameter, else the query's (null when absent). */
    static String raw(Context ctx, String name) {
        return ctx.pathParamMap().containsKey(name) ? ctx.pathParam(name) : ctx.queryParam(name);
    }

    /** A required whole number; a version may be written {@code v3}. */
    public static int integer(Context ctx, String name) {
        String raw = raw(ctx, name);
        if (raw == null) throw Problem.badRequest("missing_parameter", "missing parameter '" + name + "'");
        return (int) parse(name, raw.startsWith("v") ? raw.substring(1) : raw, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    /** An optional whole number, {@code fallback} when absent, clamped to {@code min..max}. */
    public static int integer(Context ctx, String name, int fallback, int min, int max) {
        String raw = raw(ctx, name);
        if (raw == null) return fallback;
        return (int) Math.max(min, Math.min(max, parse(name, raw, Long.MIN_VALUE, Long.MAX_VALUE)));
    }

    /** An optional long, {@code fallback} when absent. */
    public static long longValue(Context ctx, String name, long fallback) {
        String raw = raw(ctx, name);
        return raw == null ? fallback : parse(name, raw, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /** An optional yes/no: absent is false; anything but true/false is refused. */
    public static boolean flag(Context ctx, String name) {
        return "true".equals(oneOf(ctx, name, "false", "true", "false"));
    }

    /** An optional value from a fixed set, {@code fallback} when absent. */
    public static String oneOf(Context ctx, String name, String fallback, String... allowed) {
        String raw = raw(ctx, name);
        if (raw == null) return fallback;
        for (String a : allowed) if (a.equals(raw)) return raw;
        throw Problem.badRequest("invalid_parameter", "parameter '" + name + "' is one of " + String.join(", ", allowed)
                + ", not '" + printable(raw) + "'");
    }

    private static long parse(String name, String raw, long min, long max) {
        try {
            long v = Long.parseLong(raw.strip());
            if (v < min || v > max) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw Problem.badRequest("invalid_parameter", "parameter '" + name + "' must be a whole number, got '" + printable(raw) + "'");
        }
    }

    private static String printable(String s) {
        String t = s.length() > 60 ? s.substring(0, 60) + "…" : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }
}
