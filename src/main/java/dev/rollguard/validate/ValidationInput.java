package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.sandbox.Sandbox;
import dev.rollguard.sandbox.Turn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * What validators look at: the new tree, the tree it replaces (null for a first version) and the
 * service's settings, with the cache of what the built-in rules derive from files (a {@link Validation}'s,
 * kept across its runs). The tree is written to a temp directory at most once, on first demand, for
 * validators that run external programs.
 */
public final class ValidationInput implements AutoCloseable {
    private final ConfigTree tree;
    private final ConfigTree parent;
    private final ValidationSettings settings;
    private final FileCache cache;
    private final Turn turn;
    private final List<String> notices = new CopyOnWriteArrayList<>();
    private Path materialized;
    private TreeIndex index;
    private TreeIndex parentIndex;
    private Map<String, String> phpCode;
    private boolean granted;

    /** An input with a cache of its own: for validators run outside a {@link Validation}. */
    public ValidationInput(ConfigTree tree, ConfigTree parent, ValidationSettings settings) {
        this(tree, parent, settings, new FileCache(), Turn.unbounded("local"));
    }

    ValidationInput(ConfigTree tree, ConfigTree parent, ValidationSettings settings, FileCache cache, Turn turn) {
        this.turn = turn;
        this.tree = tree;
        this.parent = parent;
        this.settings = settings == null ? ValidationSettings.DEFAULT : settings;
        this.cache = cache;
    }

    /** Every path of the tree (binaries and links too), shared by the validators. */
    synchronized TreeIndex index() {
        if (index == null) index = new TreeIndex(tree);
        return index;
    }

    /** The parent's paths, or null for a first version. */
    synchronized TreeIndex parentIndex() {
        if (parent == null) return null;
        if (parentIndex == null) parentIndex = new TreeIndex(parent);
        return parentIndex;
    }

    /** PHP files with comments and inline HTML blanked ({@link PhpSource#codeOnly}), computed once, in parallel. */
    synchronized Map<String, String> phpCode() {
        if (phpCode == null) {
            phpCode = tree.files().entrySet().parallelStream()
                    .filter(e -> PhpSource.isPhp(e.getKey()))
                    .collect(Collectors.toConcurrentMap(Map.Entry::getKey,
                            e -> cache.get("php-code", e.getKey(), tree.hash(e.getKey()), () -> PhpSource.codeOnly(e.getValue()))));
        }
        return phpCode;
    }

    /** What the built-in rules derived from files, by path and content hash. */
    FileCache cache() { return cache; }

    public ConfigTree tree() { return tree; }
    /** Whose external checks these are and until when: every sandboxed run of the validation waits and runs under it. */
    public Turn turn() { return turn; }
    public ConfigTree parent() { return parent; }
    public ValidationSettings settings() { return settings; }

    /** Text files that are new or whose content differs from the parent: external linters only look at these. */
    public Set<String> changedPaths() {
        if (parent == null) return tree.textPaths();
        return tree.textPaths().stream()
                .filter(p -> !tree.hash(p).equals(parent.hash(p)))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    public void notice(String text) { notices.add(text); }
    public List<String> notices() { return List.copyOf(notices); }

    public synchronized Path materialized() {
        if (materialized == null) {
            try {
                materialized = Files.createTempDirectory("rollguard-validate-").toRealPath();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            TreeLoader.materialize(tree, materialized);
        }
        return materialized;
    }

    /** The tree on disk, readable by the sandbox's unprivileged user (and by nobody else). */
    public synchronized Path materializedFor(Sandbox sandbox) {
        Path dir = materialized();
        if (!granted) {
            sandbox.grantRead(dir);
            granted = true;
        }
        return dir;
    }

    @Override
    public synchronized void close() {
        TreeLoader.deleteRecursively(materialized);
        materialized = null;
        granted = false;
    }
}
