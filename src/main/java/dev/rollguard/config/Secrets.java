package dev.rollguard.config;

import dev.rollguard.Problem;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
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
    /**
     * Passwords, keys, tokens and salts assigned in PHP defines, INI/YAML/properties, JSON and shell-style files; the
     * body of a PEM private key; {@code .env} names ending in KEY, SECRET, PASS… ({@code APP_KEY}); YAML {@code pass:}
     * keys; the password of a {@code scheme://user:pass@host} URL ({@code DATABASE_URL}, channel URLs); Slack webhook
     * paths (the path is the credential).
     */
    public static final List<String> DEFAULTS = List.of(
            "(?i)define\\(\\s*['\"][A-Z0-9_]*(?:PASSWORD|SECRET|KEY|TOKEN|SALT)['\"]\\s*,\\s*['\"]([^'\"]*)['\"]",
            // the name starts where a run of name characters starts: tried inside a long run too, the greedy prefix made
            // each push quadratic in the run's length (a 2,000-character line cost seconds)
            "(?i)[\"']?(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]*(?:password|passwd|secret|api[_-]?key|token)[\"']?\\s*[:=]\\s*[\"']?([^\"'\\s,;#}]+)",
            "-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\\s*([A-Za-z0-9+/=:,\\s-]+?)\\s*-----END [A-Z0-9 ]*PRIVATE KEY-----",
            "(?m)^[ \\t]*(?:export[ \\t]+)?[A-Z0-9_]*(?:KEY|SECRET|PASS|PASSWORD|PWD|TOKEN|SALT|CREDENTIALS?)[ \\t]*=[ \\t]*[\"']?([^\"'\\s#]+)",
            "(?im)^[ \\t]*[\"']?(?:[A-Za-z0-9_.-]*[_.-])?pass(?:phrase)?[\"']?[ \\t]*:[ \\t]*[\"']?([^\"'\\s#]+)",
            "(?i)\\b[a-z][a-z0-9+.-]*://[^\\s:/@'\"]*:([^\\s@/'\"]+)@",
            "(?i)https://hooks\\.slack(?:-gov)?\\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_-]+)");

    private static final Pattern LINE = Pattern.compile("[^\r\n]+");
    /**
     * Files that are keys by their name, whatever their bytes (a PKCS#12 or DER key has no text for a pattern to find):
     * {@code *.key}, keystores ({@code .p12 .pfx .jks .jceks .keystore}), PKCS#8 ({@code .p8 .pk8}) and SSH's private key
     * names. Not {@code *.pem} or {@code *.crt}: most are certificates, public by design, whose changes people must see; a
     * PEM private key is found by its text.
     */
    private static final Pattern KEY_FILE = Pattern.compile(
            "(?i)(?:^|/)(?:[^/]+\\.(?:key|p12|pfx|jks|jceks|keystore|p8|pk8)|id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?)$");

    private final List<Pattern> patterns;

    private Secrets(List<Pattern> patterns) {
        this.patterns = patterns;
    }

    /** A key by its name: stored sealed, shown to nobody (not even masked line by line), delivered 0600 unless told otherwise. */
    public static boolean isKeyFile(String path) {
        return KEY_FILE.matcher(path).find();
    }

    /** A file's text as people may see it: a key file's every line masked, any other file's secrets masked. */
    public String maskFile(String path, String text) {
        return isKeyFile(path) ? LINE.matcher(text).replaceAll(MASK) : mask(text);
    }

    /** A file's bytes as people may see them: a key file as {@value #MASK} alone, any other file's secrets masked. */
    public byte[] maskFileBytes(String path, byte[] bytes) {
        return isKeyFile(path) ? MASK.getBytes(StandardCharsets.US_ASCII) : maskBytes(bytes);
    }

    public static Secrets of(List<String> extra) {
        List<Pattern> ps = new ArrayList<>();
        for (String s : DEFAULTS) ps.add(Pattern.compile(s));
        if (extra != null) {
            for (String s : extra) {
                if (s.length() > BoundedText.MAX_PATTERN_LENGTH) {
                    throw Problem.badRequest("invalid_spec", "secret pattern is longer than " + BoundedText.MAX_PATTERN_LENGTH + " characters");
                }
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

    /**
     * Whether these bytes hold a secret (a pattern finds a non-empty value): such a file is stored sealed. Read as UTF-8
     * when they are, else as Latin-1, so one stray byte cannot hide a password from the patterns.
     */
    public boolean holds(byte[] bytes) {
        String text = lenientText(bytes);
        for (Pattern p : patterns) {
            Matcher m = p.matcher(text);
            while (m.find()) {
                int g = m.groupCount();
                int start = g > 0 && m.start(g) >= 0 ? m.start(g) : m.start();
                int end = g > 0 && m.end(g) >= 0 ? m.end(g) : m.end();
                if (start < end) return true;
            }
        }
        return false;
    }

    /** The patterns that only the built-ins make: for text people see outside any service (audit details, URLs). */
    public static Secrets builtIn() {
        return BUILT_IN;
    }

    private static final Secrets BUILT_IN = of(List.of());

    static String lenientText(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
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
                // a secret over several lines (a PEM body) keeps its line count: diffs line up with the file
                String secret = out.substring(start, end);
                m.appendReplacement(sb, Matcher.quoteReplacement(out.substring(m.start(), start) + LINE.matcher(secret).replaceAll(MASK)
                        + out.substring(end, m.end())));
            }
            if (any) {
                m.appendTail(sb);
                out = sb.toString();
            }
        }
        return out;
    }
}
