package dev.rollguard.config;

import dev.rollguard.Problem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads a directory on disk into a {@link ConfigTree}, applying the same limits as the server. */
public final class TreeLoader {
    private static final Set<String> SKIPPED_DIRS = Set.of(".git", ".svn", ".hg", ".rollguard");

    private TreeLoader() {}

    public static ConfigTree load(Path root, Limits limits) {
        return load(root, limits, null);
    }

    /**
     * With {@code skippedBinary} non-null, binary files are left out and their paths collected there
     * instead of failing the load (for validating a whole docroot with images in it).
     */
    public static ConfigTree load(Path root, Limits limits, List<String> skippedBinary) {
        Path base;
        try {
            base = root.toRealPath();
        } catch (IOException e) {
            throw Problem.badRequest("not_found", "no such directory: " + root);
        }
        if (!Files.isDirectory(base)) throw Problem.badRequest("not_a_directory", "not a directory: " + root);
        Map<String, String> files = new HashMap<>();
        try {
            Files.walkFileTree(base, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return !dir.equals(base) && SKIPPED_DIRS.contains(dir.getFileName().toString())
                            ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    String rel = base.relativize(file).toString();
                    Path real = file;
                    if (attrs.isSymbolicLink()) {
                        real = file.toRealPath();
                        if (!real.startsWith(base)) {
                            throw Problem.badRequest("symlink_outside", "symlink " + rel + " points outside the tree");
                        }
                        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) return FileVisitResult.CONTINUE;
                    } else if (!attrs.isRegularFile()) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (files.size() >= limits.maxFiles()) {
                        throw new Problem(413, "too_many_files", "directory has more than " + limits.maxFiles() + " files");
                    }
                    long size = Files.size(real);
                    if (size > limits.maxFileBytes()) {
                        throw new Problem(413, "file_too_large", "file " + rel + " is " + size
                                + " bytes; the limit is " + limits.maxFileBytes(), Map.of("path", rel));
                    }
                    try {
                        files.put(rel, ConfigTree.decodeText(rel, Files.readAllBytes(real)));
                    } catch (Problem p) {
                        if (skippedBinary == null || !p.code().equals("binary_file")) throw p;
                        skippedBinary.add(rel);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + root + ": " + e.getMessage(), e);
        }
        return ConfigTree.of(files, limits);
    }

    /** Writes a tree below {@code dir} (which must exist and be empty); used to hand trees to external tools. */
    public static void materialize(ConfigTree tree, Path dir) {
        try {
            for (var e : tree.files().entrySet()) {
                Path target = dir.resolve(e.getKey()).normalize();
                if (!target.startsWith(dir)) throw Problem.badRequest("path_traversal", "path escapes: " + e.getKey());
                Files.createDirectories(target.getParent());
                Files.writeString(target, e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp dir that cannot be removed must not fail the caller
                }
            });
        } catch (IOException ignored) {
            // same as above
        }
    }
}
