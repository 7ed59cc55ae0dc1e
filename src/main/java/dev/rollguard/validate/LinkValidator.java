package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.ConfigTree.Resolution;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Symbolic links of a tree: one that leads nowhere inside the tree is an error at the link's path (the release would
 * serve a broken link), as is a cycle; one that leaves the tree (Debian links docroots to /etc and /var) is kept as a
 * link and only noticed: it is delivered as written and never followed here.
 */
public final class LinkValidator implements Validator {
    public static final String DANGLING = "dangling_link";
    public static final String CYCLE = "link_cycle";
    /** Beyond this many links out of the tree, the notices name the first ones and count the rest. */
    private static final int NAMED_OUTSIDE = 10;

    @Override
    public String id() { return "links"; }

    @Override
    public List<Finding> validate(ValidationInput input) {
        ConfigTree tree = input.tree();
        List<Finding> out = new ArrayList<>();
        List<String> outside = new ArrayList<>();
        for (Map.Entry<String, String> link : tree.links().entrySet()) {
            String path = link.getKey();
            String shown = path + " -> " + link.getValue();
            Resolution r = tree.resolve(path);
            if (r instanceof Resolution.Outside o) {
                outside.add(o.link().equals(path) ? shown : shown + " (through " + o.link() + " -> " + o.target() + ")");
            } else if (r instanceof Resolution.Missing m) {
                out.add(Finding.error(DANGLING, path, 0, 0, "symlink " + shown + " is dangling: nothing at '" + m.path()
                        + "' in the tree"));
            } else if (r instanceof Resolution.Cycle c) {
                out.add(Finding.error(CYCLE, path, 0, 0, "symlink " + shown + " never ends: a cycle of links through " + c.link()));
            }
        }
        for (int i = 0; i < Math.min(NAMED_OUTSIDE, outside.size()); i++) {
            input.notice("symlink " + outside.get(i) + " points outside the tree: kept as a link, not followed");
        }
        if (outside.size() > NAMED_OUTSIDE) {
            input.notice((outside.size() - NAMED_OUTSIDE) + " more symlinks point outside the tree: kept as links, not followed");
        }
        return out;
    }
}
