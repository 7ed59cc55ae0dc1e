package dev.rollguard.validate;

import java.util.Map;
import java.util.Set;

/**
 * What a tree holds besides text files, for reference checks: binary files (they exist, their content is
 * not read) and symbolic links. Interim: until {@code ConfigTree} carries binaries and links itself,
 * loaders that see them (the accuracy benchmark's) pass them here; everything else passes {@link #NONE}.
 *
 * @param binaries     paths of binary files
 * @param inTreeLinks  link path → the tree path it points to (a file or a directory in the tree)
 * @param outsideLinks links that point out of the tree or nowhere: what lies below them is unknown
 */
public record TreeExtras(Set<String> binaries, Map<String, String> inTreeLinks, Set<String> outsideLinks) {
    public static final TreeExtras NONE = new TreeExtras(Set.of(), Map.of(), Set.of());

    public TreeExtras {
        binaries = Set.copyOf(binaries);
        inTreeLinks = Map.copyOf(inTreeLinks);
        outsideLinks = Set.copyOf(outsideLinks);
    }
}
