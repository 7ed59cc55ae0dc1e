package dev.rollguard.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rollguard.Problem;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A service spec's rule for owners and modes: the files and directories its {@code path} glob matches (Java's glob:
 * {@code *} stays within a name, {@code **} crosses directories, {@code {a,b}} is either) get its owner and group (user
 * and group names, resolved on each host by the agent), files its {@code mode} and directories its {@code dirMode}. The
 * spec is policy: where a rule gives a mode, it wins over the mode pushed. Rules apply in order, a later rule's fields
 * overriding an earlier one's. They are applied when a version is pushed, so an ownership change is a new version.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Ownership(String path, String owner, String group, String mode, String dirMode) {
    public Ownership {
        if (path == null || path.isBlank()) throw Problem.badRequest("invalid_spec", "an ownership rule needs a 'path' glob");
        if (owner == null && group == null && mode == null && dirMode == null) {
            throw Problem.badRequest("invalid_spec", "ownership rule '" + path + "' sets nothing: give owner, group, mode or dirMode");
        }
        matcher(path);
        new FileMeta(FileMeta.parseMode(path, mode), owner, group);
        FileMeta.parseMode(path, dirMode);
    }

    private static PathMatcher matcher(String glob) {
        try {
            return FileSystems.getDefault().getPathMatcher("glob:" + glob);
        } catch (IllegalArgumentException e) {
            throw Problem.badRequest("invalid_spec", "ownership rule path is not a glob: '" + glob + "' (" + e.getMessage() + ")");
        }
    }

    /** The tree with every rule applied over its own modes: what a push stores. */
    public static ConfigTree apply(List<Ownership> rules, ConfigTree tree) {
        return apply(rules, tree, UnaryOperator.identity());
    }

    /**
     * As above, for a tree whose files may be delivered under another name ({@code deliveredAs}: a template
     * {@code foo.conf.tmpl} arrives as {@code foo.conf}): a rule matches a file by either name, so a rule written for what
     * lands on the host ({@code wp-config.php}) holds for the template it is rendered from.
     */
    public static ConfigTree apply(List<Ownership> rules, ConfigTree tree, UnaryOperator<String> deliveredAs) {
        Map<String, FileMeta> meta = new HashMap<>(tree.meta());
        // a key by its name pushed without a mode (the API's default would be 0644) is private; a pushed mode or a rule wins
        tree.entries().forEach((p, e) -> {
            FileMeta m = meta.get(p);
            if (e instanceof TreeEntry.File && Secrets.isKeyFile(p) && (m == null || m.mode() == null)) {
                meta.put(p, new FileMeta(0600, m == null ? null : m.owner(), m == null ? null : m.group()));
            }
        });
        if (rules == null || rules.isEmpty()) return meta.equals(tree.meta()) ? tree : tree.withMeta(meta);
        List<PathMatcher> matchers = rules.stream().map(r -> matcher(r.path())).toList();
        for (String dir : tree.directories()) meta.put(dir, applied(rules, matchers, dir, dir, meta.get(dir), true));
        tree.entries().forEach((p, e) -> {
            if (e instanceof TreeEntry.File) meta.put(p, applied(rules, matchers, p, deliveredAs.apply(p), meta.get(p), false));
        });
        return tree.withMeta(meta);
    }

    private static FileMeta applied(List<Ownership> rules, List<PathMatcher> matchers, String path, String delivered, FileMeta pushed,
                                    boolean directory) {
        FileMeta m = pushed == null ? FileMeta.NONE : pushed;
        Path p = Path.of(path);
        Path d = Path.of(delivered);
        for (int i = 0; i < rules.size(); i++) {
            if (!matchers.get(i).matches(p) && !matchers.get(i).matches(d)) continue;
            Ownership r = rules.get(i);
            String modeText = directory ? r.dirMode() : r.mode();
            m = new FileMeta(modeText == null ? m.mode() : FileMeta.parseMode(path, modeText), r.owner() == null ? m.owner() : r.owner(),
                    r.group() == null ? m.group() : r.group());
        }
        return m;
    }
}
