package dev.rollguard.values;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.MustacheException;
import com.samskivert.mustache.Template;
import dev.rollguard.Problem;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeEntry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pushed tree's templates, compiled once: the files its values file marks (by suffix or glob), rendered per
 * environment and host with Mustache (logic-less; no HTML escaping, these are config files). Nothing else is touched:
 * a PHP or Twig file holding {@code {{} is delivered byte for byte. A tree without a values file renders as itself.
 */
public final class Templates {
    /** The host id the environment's own rendering (validated for hosts without values of their own) is made with. */
    public static final String EXAMPLE_HOST = "example-host";
    /** What people and validators see instead of a secret. */
    public static final String MASK = "********";

    private static final Mustache.Compiler COMPILER = Mustache.compiler().escapeHTML(false).strictSections(true)
            // an optional section is a value set to '' or false where it does not apply; never one left undefined
            .emptyStringIsFalse(true);
    private static final Pattern LINE = Pattern.compile("@ line (\\d+)");

    /** The facts a template may use besides the values: {@code {{rollguard.env}}} and so on. */
    public record Facts(String service, String env, String host, int version) {
        Map<String, Object> asValue() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("service", service);
            m.put("env", env);
            m.put("host", host);
            m.put("version", Integer.toString(version));
            return m;
        }
    }

    /** One rendering a push validates: an environment's own ({@code host} null), or a host's with values of its own. */
    public record Target(String env, String host) {
        public String label() { return host == null ? env : env + "/" + host; }
    }

    private record Compiled(String source, String output, Template template) {}

    private final ConfigTree tree;
    private final Values values;
    private final List<Compiled> templates;

    private Templates(ConfigTree tree, Values values, List<Compiled> templates) {
        this.tree = tree;
        this.values = values;
        this.templates = templates;
    }

    /**
     * The tree's values and compiled templates. A malformed values file is a 400 naming the problem; a template that
     * does not compile, a 422 naming file and line; a template whose output path is taken, a 400.
     */
    public static Templates of(ConfigTree tree) {
        String text = tree.content(Values.PATH);
        if (text == null) {
            if (tree.entry(Values.PATH) != null) throw Problem.badRequest("invalid_values", Values.PATH + " is not a text file");
            return new Templates(tree, null, List.of());
        }
        Values values = Values.parse(text);
        List<Compiled> compiled = new ArrayList<>();
        for (var e : tree.entries().entrySet()) {
            String path = e.getKey();
            if (path.equals(Values.PATH) || !values.isTemplate(path)) continue;
            if (!(e.getValue() instanceof TreeEntry.File f) || f.binary()) {
                throw new Problem(400, "invalid_template", path + " is marked as a template but is not a text file", Map.of("path", path));
            }
            String output = path.endsWith(Values.SUFFIX) ? path.substring(0, path.length() - Values.SUFFIX.length()) : path;
            if (!output.equals(path) && tree.entry(output) != null) {
                throw new Problem(400, "invalid_template", path + " renders to " + output + ", which the tree also holds", Map.of("path", path));
            }
            int unclosed = unclosedTag(f.text());
            if (unclosed > 0) throw failed(path, unclosed, "template syntax: '{{' is never closed by '}}'", null);
            try {
                compiled.add(new Compiled(path, output, COMPILER.compile(f.text())));
            } catch (MustacheException ex) {
                throw failed(path, line(ex), "template syntax: " + message(ex), null);
            } catch (RuntimeException ex) {
                // the parser fails on some malformed tags ("{{ }}") without saying where
                throw failed(path, 0, "template syntax: a malformed tag (" + ex.getClass().getSimpleName() + ")", null);
            }
        }
        return new Templates(tree, values, List.copyOf(compiled));
    }

    /** Does this tree render at all (it has a values file)? Without one, every rendering is the tree itself. */
    public boolean renders() { return values != null; }

    public Values values() { return values; }

    /** Paths of the templates as pushed. */
    public List<String> sources() { return templates.stream().map(Compiled::source).toList(); }

    /** The renderings a push validates: each environment's own, then each host with values of its own in each environment. */
    public List<Target> targets(List<String> envs) {
        List<Target> out = new ArrayList<>();
        envs.forEach(env -> out.add(new Target(env, null)));
        if (renders()) {
            for (String env : envs) values.hostsWithOwnValues().forEach(h -> out.add(new Target(env, h)));
        }
        return out;
    }

    /** For people and validators: secrets as {@link #MASK}. */
    public ConfigTree render(Facts facts, Limits limits) {
        return render(facts, s -> MASK, limits);
    }

    /**
     * The tree as {@code facts.host()} in {@code facts.env()} receives it: templates rendered ({@code reveal} gives a
     * secret's text), the values file left out. A value a template names but no level defines is a 422 naming file,
     * line and rendering, never an empty string.
     */
    public ConfigTree render(Facts facts, Function<Values.Secret, String> reveal, Limits limits) {
        if (!renders()) return tree;
        Map<String, Object> context = reveal(values.resolve(facts.env(), facts.host()), reveal);
        context.put("rollguard", facts.asValue());
        Map<String, TreeEntry> out = new TreeMap<>(tree.entries());
        out.remove(Values.PATH);
        for (Compiled c : templates) {
            String text;
            try {
                text = c.template().execute(context);
            } catch (MustacheException.Context ex) {
                throw failed(c.source(), ex.lineNo, "no value '" + ex.key + "'", facts);
            } catch (MustacheException ex) {
                throw failed(c.source(), line(ex), message(ex), facts);
            }
            out.remove(c.source());
            out.put(c.output(), TreeEntry.text(text));
        }
        return ConfigTree.ofEntries(out, limits);
    }

    private static Problem failed(String path, int line, String why, Facts facts) {
        String where = facts == null ? "" : " (rendering for " + new Target(facts.env(), EXAMPLE_HOST.equals(facts.host()) ? null
                : facts.host()).label() + ")";
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("path", path);
        details.put("line", line);
        if (facts != null) details.put("env", facts.env());
        if (facts != null && !EXAMPLE_HOST.equals(facts.host())) details.put("host", facts.host());
        return new Problem(422, "render_failed", path + (line > 0 ? ":" + line : "") + ": " + why + where, details);
    }

    /**
     * The line of a '{{' no '}}' follows (0: none). The parser keeps such a tag as text, so a typo would reach the host
     * as a literal "{{db_host"; a template that changes its delimiters ({{=<% %>=}}) is left to the parser.
     */
    static int unclosedTag(String text) {
        if (text.contains("{{=")) return 0;
        int open = text.lastIndexOf("{{");
        if (open < 0 || text.indexOf("}}", open) >= 0) return 0;
        // the first unclosed one: after the last "}}", the first "{{"
        int lastClose = text.lastIndexOf("}}");
        int first = text.indexOf("{{", Math.max(0, lastClose));
        return 1 + (int) text.substring(0, first).chars().filter(c -> c == '\n').count();
    }

    private static int line(MustacheException ex) {
        if (ex instanceof MustacheException.Context c) return c.lineNo;
        Matcher m = LINE.matcher(String.valueOf(ex.getMessage()));
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private static String message(MustacheException ex) {
        return String.valueOf(ex.getMessage()).replaceAll("\\s*@ line \\d+", "").strip();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> reveal(Map<String, Object> values, Function<Values.Secret, String> reveal) {
        Map<String, Object> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, revealValue(v, reveal)));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Object revealValue(Object v, Function<Values.Secret, String> reveal) {
        if (v instanceof Values.Secret s) return reveal.apply(s);
        if (v instanceof Map<?, ?> m) return reveal((Map<String, Object>) m, reveal);
        if (v instanceof List<?> l) return l.stream().map(x -> revealValue(x, reveal)).toList();
        return v;
    }
}
