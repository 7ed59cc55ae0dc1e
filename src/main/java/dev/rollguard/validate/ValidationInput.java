package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.sandbox.Sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * What validators look at: the new tree, the tree it replaces (null for a first version) and the
 * service's settings. The tree is written to a temp directory at most once, on first demand, for
 * validators that run external programs.
 */
public final class ValidationInput implements AutoCloseable {
    private final ConfigTree tree;
    private final ConfigTree parent;
    private final ValidationSettings settings;
    private final List<String> notices = new CopyOnWriteArrayList<>();
    private Path materialized;
    private boolean granted;

    public ValidationInput(ConfigTree tree, ConfigTree parent, ValidationSettings settings) {
        this.tree = tree;
        this.parent = parent;
        this.settings = settings == null ? ValidationSettings.DEFAULT : settings;
    }

    public ConfigTree tree() { return tree; }
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
