package dev.rollguard.config;

import dev.rollguard.Problem;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Masks secret values in anything shown to people: diffs, file views, postmortems, the dashboard. A pattern's
 * last capture group is the secret (the whole match if it has none). Agents still receive the real files.
 */
public final class Secrets {
    public static final String MASK = "********";
    /** Passwords, keys, tokens and salts assigned in PHP defines, INI/YAML/properties, JSON and shell-style files. */
    public static final List<String> DEFAULTS = List.of(
            "(?i)define\\(\\s*['\"][A-Z0-9_]*(?:PASSWORD|SECRET|KEY|TOKEN|SALT)['\"]\\s*,\\s*['\"]([^'\"]*)['\"]",
            "(?i)[\"']?[A-Za-z0-9_.-]*(?:password|passwd|secret|api[_-]?key|token)[\"']?\\s*[:=]\\s*[\"']?([^\"'\\s,;#}]+)");

    private final List<Pattern> patterns;

    private Secrets(List<Pattern> patterns) {
        this.patterns = patterns;
    }

    public static Secrets of(List<String> extra) {
        List<Pattern> ps = new ArrayList<>();
        for (String s : DEFAULTS) ps.add(Pattern.compile(s));
        if (extra != null) {
            for (String s : extra) {
                try {
                    ps.add(Pattern.compile(s));
                } catch (PatternSyntaxException e) {
                    throw Problem.badRequest("invalid_spec", "secret pattern is not a regular expression: " + s + " (" + e.getDescription() + ")");
                }
            }
        }
        return new Secrets(ps);
    }

    /**
     * Bytes in any encoding with their secrets masked: read as ISO-8859-1 (one character a byte, so everything the
     * patterns do not touch comes back byte for byte), masked, and written back the same way.
     */
    public byte[] maskBytes(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        String masked = mask(text);
        return masked.equals(text) ? bytes : masked.getBytes(StandardCharsets.ISO_8859_1);
    }

    public String mask(String text) {
        if (text == null || text.isEmpty()) return text;
        String out = text;
        for (Pattern p : patterns) {
            Matcher m = p.matcher(out);
            StringBuilder sb = new StringBuilder();
            boolean any = false;
            while (m.find()) {
                int g = m.groupCount();
                int start = g > 0 && m.start(g) >= 0 ? m.start(g) : m.start();
                int end = g > 0 && m.end(g) >= 0 ? m.end(g) : m.end();
                if (start == end) continue;
                any = true;
                m.appendReplacement(sb, Matcher.quoteReplacement(out.substring(m.start(), start) + MASK + out.substring(end, m.end())));
            }
            if (any) {
                m.appendTail(sb);
                out = sb.toString();
            }
        }
        return out;
    }
}
