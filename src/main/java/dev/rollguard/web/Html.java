package dev.rollguard.web;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Escaping and small formatting helpers for the server-rendered dashboard. */
final class Html {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);

    private Html() {}

    static String esc(Object o) {
        if (o == null) return "";
        String s = o.toString();
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** A path segment for a link. */
    static String url(Object o) {
        return URLEncoder.encode(String.valueOf(o), StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String time(Instant i) {
        return i == null ? "—" : "<time datetime=\"" + i + "\">" + TIME.format(i) + "</time>";
    }

    static String clock(Instant i) {
        return i == null ? "—" : "<time datetime=\"" + i + "\">" + CLOCK.format(i) + "</time>";
    }

    static String ago(Instant i, Instant now) {
        if (i == null) return "never";
        long s = Duration.between(i, now).toSeconds();
        if (s < 1) return "just now";
        if (s < 120) return s + " s ago";
        if (s < 7200) return s / 60 + " min ago";
        return s / 3600 + " h ago";
    }

    static String millis(Long m) {
        return m == null ? "—" : String.format(Locale.ROOT, "%.1f s", m / 1000.0);
    }

    static String percent(double p) {
        return String.format(Locale.ROOT, p >= 10 || p == 0 ? "%.1f%%" : "%.2f%%", p);
    }

    /** A status word as a coloured badge; the class is the lower-case word. */
    static String badge(Object status) {
        String s = String.valueOf(status).toLowerCase(Locale.ROOT);
        return "<span class=\"badge " + esc(s.replace('_', '-')) + "\">" + esc(s.replace('_', ' ')) + "</span>";
    }
}
