package dev.rollguard.validate;

import dev.rollguard.config.ConfigPaths;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FileMeta;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.Secrets;
import dev.rollguard.config.TreeEntry;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A file every user of the host can read that holds a private key or a secret: a warning at the file, with the mode that
 * would fix it. A secret here is a literal value (not a placeholder such as {@code change-me}) given to a password, secret,
 * key, token or salt in a PHP define or on a line of a config file ({@code password = hunter2}, {@code api_key: ...});
 * the masking patterns of {@link dev.rollguard.config.Secrets} mask more (any {@code $password = ...} in code), which is
 * right for a display and too noisy for a warning. World-readable means the file's own bits let others read it (no mode:
 * the agent's 0644) and every directory above it lets others in. Templates ({@code wp-config-sample.php}, {@code *.example},
 * {@code *.dist}) hold placeholders, not secrets, and are left alone.
 */
public final class ExposedSecretValidator implements Validator {
    public static final String RULE = "world_readable_secret";
    /**
     * A private key's PEM block with its body (the marker alone is code that handles keys, as in php-saml's Utils.php), or a
     * PuTTY key file's header.
     */
    private static final Pattern PRIVATE_KEY = Pattern.compile(
            "-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----\\r?\\n(?:[A-Za-z-]+: [^\\n]*\\r?\\n)*\\r?\\n?[A-Za-z0-9+/=]{16,}\\r?\\n"
                    + "|^PuTTY-User-Key-File-\\d+:", Pattern.MULTILINE);
    private static final Pattern TEMPLATE = Pattern.compile("(?:[-._](?:sample|example|dist|template)(?:\\.[^/]*)?|\\.(?:sample|example|dist|template))$");
    /** A literal given to a password, secret, key, token or salt in a PHP define. */
    private static final Pattern PHP_DEFINE = Pattern.compile(
            "(?i)define\\(\\s*['\"][A-Z0-9_]*(?:PASSWORD|SECRET|KEY|TOKEN|SALT)['\"]\\s*,\\s*['\"]([^'\"]+)['\"]");
    /** A literal given to a password, secret, API key or token on a line of a config file ({@code password = hunter2}). */
    private static final Pattern CONFIG_LINE = Pattern.compile(
            "(?im)^[ \\t]*[\"']?[A-Za-z0-9_.-]*(?:password|passwd|secret|api[_-]?key|token)[\"']?[ \\t]*[:=][ \\t]*(.*)$");
    /**
     * What follows the name is a literal: one quoted string, or one bare word, then at most a comment. Anything else is
     * code ({@code x.token = 'Basic ' + btoa(...);} in a script a YAML file embeds) and not a value set in the file.
     */
    private static final Pattern LITERAL = Pattern.compile(
            "^(?:\"([^\"]*)\"|'([^']*)'|([^\\s\"'$%{][^\\s\"']*))[,;]?(?:\\s+[#;].*)?$");
    /**
     * A bare word that is not a secret: a keyword, a page or path ({@code url_password = edit.php?table=adminpassword}), or a
     * script's member reference ({@code password: SysAid.params.auth_password} in an object literal).
     */
    private static final Pattern NOT_A_SECRET = Pattern.compile(
            "(?i)^(?:null|none|nil|true|false|yes|no|~|.*[/?(\\[].*|.*\\.(?:php|html?|cgi|pl|py|js)|[a-z_$][\\w$]*(?:\\.[a-z_$][\\w$]*)+)$");
    /** Config files, where a line like the above is configuration (in code it is usually an assignment from a variable). */
    private static final Pattern CONFIG_FILE = Pattern.compile(
            "(?i)(?:^|/)(?:\\.env[^/]*|\\.pgpass|\\.netrc|\\.htpasswd|[^/]+\\.(?:ini|conf|cnf|cfg|env|properties|ya?ml|toml))$");
    /** Values that stand for a secret to be filled in: placeholders are not secrets. */
    private static final Pattern PLACEHOLDER = Pattern.compile(
            "(?i)^(?:change[-_ .]?me.*|.*_here|put your unique phrase here|your[-_ ].*|x{3,}|\\*+|example.*|secret|password|<.*>)$");

    @Override
    public String id() { return "exposed-secrets"; }

    @Override
    public List<Finding> validate(ValidationInput input) {
        ConfigTree tree = input.tree();
        List<Finding> out = new ArrayList<>();
        tree.entries().forEach((path, entry) -> {
            if (!(entry instanceof TreeEntry.File) || !worldReadable(tree, path)) return;
            String text = tree.content(path);
            String held = text == null ? "" : input.cache().get("exposed-secret", path, tree.hash(path), () -> held(path, text));
            String what = held.equals("a private key") || !Secrets.isKeyFile(path) ? held : "a key (by its name)";
            if (what.isEmpty()) return;
            FileMeta m = tree.meta(path);
            out.add(Finding.of(RULE, FindingSeverity.WARNING, path, 0, 0, path + " holds " + what + " and every user of the host can read it "
                            + "(mode " + FileMeta.octal(m.effectiveMode(false)) + (m.mode() == null ? ", the default" : "") + ")",
                    "push it with mode 0600 or 0640 (chmod 0640 on disk, or a spec 'ownership' rule with \"mode\": \"0640\" and the "
                            + "service's group)", null));
        });
        return out;
    }

    /** What the file holds that must not be world-readable ("a private key", "a secret"), or "" for nothing. */
    private static String held(String path, String text) {
        if (PRIVATE_KEY.matcher(text).find()) return "a private key";
        return !TEMPLATE.matcher(path.toLowerCase(Locale.ROOT)).find() && holdsSecret(path, text) ? "a secret" : "";
    }

    private static boolean holdsSecret(String path, String text) {
        if (path.toLowerCase(Locale.ROOT).endsWith(".php")) {
            for (Matcher m = PHP_DEFINE.matcher(text); m.find(); ) {
                if (secret(m.group(1)) && !inComment(text, m.start())) return true;
            }
            return false;
        }
        if (!CONFIG_FILE.matcher(path).find()) return false;
        for (Matcher m = CONFIG_LINE.matcher(text); m.find(); ) {
            Matcher literal = LITERAL.matcher(m.group(1).strip());
            if (!literal.matches() || inComment(text, m.start())) continue;
            String bare = literal.group(3);
            String value = bare != null ? bare : literal.group(1) != null ? literal.group(1) : literal.group(2);
            if (bare != null && (NOT_A_SECRET.matcher(bare).matches() || bare.endsWith(",") || bare.endsWith(";"))) continue;
            if (secret(value)) return true;
        }
        return false;
    }

    /** A value, not a reference to one ({@code ${DB_PASS}}, {@code %(pw)s}, Zabbix's {@code {$MYSQL.PASSWORD}}) or a placeholder. */
    private static boolean secret(String value) {
        return !value.isEmpty() && "$%{".indexOf(value.charAt(0)) < 0 && !PLACEHOLDER.matcher(value).matches();
    }

    /** On a comment line ({@code * define(...)} in a doc block, {@code # password = ...}): an example, not a setting. */
    private static boolean inComment(String text, int at) {
        String before = text.substring(text.lastIndexOf('\n', at - 1) + 1, at).strip();
        return before.startsWith("*") || before.startsWith("//") || before.startsWith("#") || before.startsWith("/*")
                || before.startsWith(";");
    }

    /** Others can read the file: its own bits, and an 'x' for others on every directory on the way. */
    static boolean worldReadable(ConfigTree tree, String path) {
        if (!tree.meta(path).worldReadable(false)) return false;
        for (String d = ConfigPaths.parent(path); !d.isEmpty(); d = ConfigPaths.parent(d)) {
            if (!tree.meta(d).worldReadable(true)) return false;
        }
        return true;
    }
}
