package dev.rollguard.validate;

/**
 * A mechanical replacement that resolves a finding. {@code path == null} means every file of the tree
 * (the seed's outage needed exactly that: the same typo in many places of a large file).
 * {@code wordBoundary} keeps "phpp" in ".phpp" from matching inside ".phppx".
 */
public record Fix(String from, String to, String path, boolean wordBoundary) {
    public boolean treeWide() { return path == null; }
}
