package dev.rollguard.config;

import dev.rollguard.Problem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a directory on disk into a {@link ConfigTree} as it is: files as bytes with their permission bits, directories'
 * permission bits, symbolic links as links (never followed, wherever they point), and every other kind of entry, or a
 * file that cannot be read, as a {@link Skipped} naming the path and the reason. The server's limits apply. Owners are
 * not read: a laptop's user ids mean nothing on a host (the service spec names owners).
 */
public final class TreeLoader {
    private static final Set<String> SKIPPED_DIRS = Set.of(".git", ".svn", ".hg", ".rollguard");

    /** A path of the directory that is not in the tree, and why. */
    public record Skipped(String path, Reason reason, String detail) {
        public enum Reason { UNREADABLE, NOT_A_FILE }

        public String describe() {
            return path + ": " + detail;
        }
    }

    public record Scan(ConfigTree tree, List<Skipped> skipped) {}

    /** The directory itself (or one below it) cannot be listed: nothing sensible can be made of it. */
    public static final class UnreadableDirectory extends RuntimeException {
        UnreadableDirectory(String message) { super(message); }
    }

    private TreeLoader() {}

    /** Loads a tree and refuses one with an unreadable file (naming it and why); other non-files are left out. */
    public static ConfigTree load(Path root, Limits limits) {
        return complete(scan(root, limits));
    }

    /** The scanned tree, refused if a file could not be read (naming it and why). */
    public static ConfigTree complete(Scan scan) {
        for (Skipped s : scan.skipped()) {
            if (s.reason() == Skipped.Reason.UNREADABLE) {
                throw new Problem(422, "unreadable_file", "cannot read " + s.describe(), Map.of("path", s.path()));
            }
        }
        return scan.tree();
    }

    public static Scan scan(Path root, Limits limits) {
        Path base;
        try {
            base = root.toRealPath();
        } catch (NoSuchFileException e) {
            throw new UnreadableDirectory("no such directory: " + root);
        } catch (IOException e) {
            throw new UnreadableDirectory("cannot open " + root + ": " + reason(e));
        }
        if (!Files.isDirectory(base)) throw new UnreadableDirectory("not a directory: " + root);
        if (!Files.isReadable(base) || !Files.isExecutable(base)) {
            throw new UnreadableDirectory("cannot read directory " + root + ": permission denied");
        }
        Map<String, TreeEntry> entries = new HashMap<>();
        Map<String, FileMeta> modes = new HashMap<>();
        boolean posix = posix(base);
        List<Skipped> skipped = new ArrayList<>();
        try {
            Files.walkFileTree(base, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    if (dir.equals(base)) return FileVisitResult.CONTINUE;
                    if (SKIPPED_DIRS.contains(dir.getFileName().toString())) return FileVisitResult.SKIP_SUBTREE;
                    if (posix) modes.put(relative(base, dir), new FileMeta(mode(dir), null, null));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    String rel = relative(base, file);
                    if (entries.size() >= limits.maxFiles()) {
                        throw new Problem(413, "too_many_files", "directory has more than " + limits.maxFiles() + " files");
                    }
                    try {
                        if (attrs.isSymbolicLink()) {
                            entries.put(rel, TreeEntry.link(rel, Files.readSymbolicLink(file).toString()));
                        } else if (attrs.isRegularFile()) {
                            if (attrs.size() > limits.maxFileBytes()) {
                                throw new Problem(413, "file_too_large", "file " + rel + " is " + attrs.size()
                                        + " bytes; the limit is " + limits.maxFileBytes(), Map.of("path", rel));
                            }
                            entries.put(rel, TreeEntry.file(Files.readAllBytes(file)));
                            if (posix) modes.put(rel, new FileMeta(mode(file), null, null));
                        } else {
                            skipped.add(new Skipped(rel, Skipped.Reason.NOT_A_FILE, "is " + kind(attrs)
                                    + "; only regular files and symbolic links are kept"));
                        }
                    } catch (IOException e) {
                        skipped.add(new Skipped(rel, Skipped.Reason.UNREADABLE, reason(e)));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS) || e instanceof FileSystemLoopException) {
                        throw new UnreadableDirectory("cannot read directory " + file + ": " + reason(e));
                    }
                    skipped.add(new Skipped(relative(base, file), Skipped.Reason.UNREADABLE, reason(e)));
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UnreadableDirectory("cannot read " + root + ": " + reason(e));
        }
        skipped.sort(Comparator.comparing(Skipped::path));
        ConfigTree tree = ConfigTree.ofEntries(entries, limits);
        // a directory with nothing kept below it is not in the tree, and neither is its mode
        modes.keySet().removeIf(p -> tree.entry(p) == null && !tree.hasDirectory(p));
        return new Scan(tree.withMeta(modes), List.copyOf(skipped));
    }

    /**
     * The nine permission bits of a file or directory. Setuid, setgid and sticky bits are left out: {@link FileMeta} says
     * why.
     */
    static int mode(Path p) throws IOException {
        return bits(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    /** Whether the file system has permission bits at all (not on Windows: there a tree is read without modes). */
    private static boolean posix(Path base) {
        try {
            return Files.getFileStore(base).supportsFileAttributeView(PosixFileAttributeView.class);
        } catch (IOException e) {
            return false;
        }
    }

    /** rwxr-x--- as 0750. */
    public static int bits(Set<PosixFilePermission> perms) {
        int bits = 0;
        for (PosixFilePermission p : perms) bits |= 0400 >> p.ordinal();
        return bits;
    }

    private static String relative(Path base, Path file) {
        return base.relativize(file).toString();
    }

    private static String kind(BasicFileAttributes attrs) {
        // BasicFileAttributes knows only "other"; the file type of a FIFO, socket or device is in the unix view
        return attrs.isOther() ? "not a regular file (a FIFO, socket or device)" : "not a regular file";
    }

    /** The reason of an I/O failure in words: the JDK's messages for these are only the path. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException) return "it vanished while being read";
        if (e instanceof FileSystemLoopException) return "a directory loop";
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /**
     * Writes a tree below {@code dir} (which must exist and be empty) to hand it to external tools: files as they are,
     * links only where they resolve inside the tree (a tool must never be led out of it).
     */
    public static void materialize(ConfigTree tree, Path dir) {
        try {
            for (var e : tree.entries().entrySet()) {
                Path target = dir.resolve(e.getKey()).normalize();
                if (!target.startsWith(dir)) throw Problem.badRequest("path_traversal", "path escapes: " + e.getKey());
                if (e.getValue() instanceof TreeEntry.File f) {
                    Files.createDirectories(target.getParent());
                    Files.write(target, f.bytes());
                } else if (e.getValue() instanceof TreeEntry.Link l
                        && tree.resolve(e.getKey()) instanceof ConfigTree.Resolution.Found) {
                    Files.createDirectories(target.getParent());
                    Files.createSymbolicLink(target, Path.of(l.target()));
                }
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
