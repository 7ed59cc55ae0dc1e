package dev.rollguard.agent;

import dev.rollguard.Problem;
import dev.rollguard.config.ConfigPaths;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FileMeta;
import dev.rollguard.config.TreeEntry;
import dev.rollguard.config.TreeLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's target directory:
 * <pre>
 *   target/releases/v12-1a2b3c/...   one complete tree per applied version (the last N kept)
 *   target/current -> releases/v12-1a2b3c
 * </pre>
 * A tree (verified against its hashes when it arrived) is written into a staging directory (each file with its mode and
 * owner, fsync'd), renamed into place, and made live by renaming a new symlink over {@code current}: readers see the old
 * tree or the new one, never half of either, and never a file of the new one before it has its mode and owner. Killing
 * the agent at any point leaves at most a staging directory, removed on next start.
 */
public final class ReleaseDirectory {
    private static final Pattern RELEASE = Pattern.compile("^v(\\d+)-[0-9a-f]{8}$");
    private static final String STAGING = ".staging-";

    private final Path target;
    private final Path releases;
    private final Path current;
    private final int keep;

    public ReleaseDirectory(Path target, int keep) {
        try {
            Files.createDirectories(target);
            this.target = target.toRealPath();
            this.releases = this.target.resolve("releases");
            Files.createDirectories(releases);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use target directory " + target + ": " + e.getMessage(), e);
        }
        this.current = this.target.resolve("current");
        this.keep = Math.max(2, keep);
        removeStaging();
    }

    public Path target() { return target; }
    public Path current() { return current; }

    /** The version the {@code current} link points at, or null. */
    public Integer currentVersion() {
        Path dir = currentRelease();
        if (dir == null) return null;
        Matcher m = RELEASE.matcher(dir.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : null;
    }

    public Path currentRelease() {
        if (!Files.isSymbolicLink(current)) return null;
        try {
            Path link = Files.readSymbolicLink(current);
            Path resolved = target.resolve(link).normalize();
            return resolved.startsWith(releases) && Files.isDirectory(resolved) ? resolved : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Writes a verified tree for {@code version} and returns its directory (not yet live): files byte for byte with their
     * modes and owners, links as links with their targets as written (created last and never followed: nothing is
     * written through one), then the directories' modes and owners. Paths must stay below the release directory. Owner
     * and group names are resolved on this host before anything is written: an unknown one refuses the whole tree
     * ({@link Owners.UnknownOwner}).
     */
    public Path stage(int version, ConfigTree tree) {
        Owners owners = Owners.resolve(tree);
        String nonce = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        Path staging = releases.resolve(STAGING + "v" + version + "-" + nonce);
        try {
            Files.createDirectory(staging);
            for (var e : tree.entries().entrySet()) {
                if (e.getValue() instanceof TreeEntry.File f) {
                    writeDurably(placeFor(staging, e.getKey()), f.bytes(), tree.meta(e.getKey()), owners);
                }
            }
            for (var e : tree.entries().entrySet()) {
                if (e.getValue() instanceof TreeEntry.Link l) {
                    Path link = placeFor(staging, e.getKey());
                    if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) throw Problem.badRequest("duplicate_path", "written twice: " + link);
                    Files.createSymbolicLink(link, Path.of(l.target()));
                }
            }
            // last: a directory of mode 0500 could not have been written into
            for (var m : tree.meta().entrySet()) {
                if (tree.entry(m.getKey()) == null) owners.apply(staging.resolve(m.getKey()), m.getValue());
            }
            Path finalDir = releases.resolve("v" + version + "-" + nonce);
            Files.move(staging, finalDir, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(releases);
            return finalDir;
        } catch (IOException e) {
            TreeLoader.deleteRecursively(staging);
            throw new UncheckedIOException("writing release v" + version + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            TreeLoader.deleteRecursively(staging);
            throw e;
        }
    }

    /** Where an entry goes: below the staging directory, its parents created, none of them a link. */
    private static Path placeFor(Path staging, String path) throws IOException {
        String rel = ConfigPaths.normalize(path);
        Path file = staging.resolve(rel).normalize();
        if (!file.startsWith(staging)) throw Problem.badRequest("path_traversal", "refusing to write outside the release: " + path);
        Files.createDirectories(file.getParent());
        checkNoLinks(staging, file.getParent());
        return file;
    }

    /** Points {@code current} at a staged release, atomically. Returns the release it pointed at before. */
    public Path activate(Path release) {
        if (!release.startsWith(releases)) throw new IllegalArgumentException("not a release of this target: " + release);
        Path before = currentRelease();
        Path tmp = target.resolve(".current-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            Files.createSymbolicLink(tmp, target.relativize(release));
            Files.move(tmp, current, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory(target);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new UncheckedIOException("switching current to " + release.getFileName() + ": " + e.getMessage(), e);
        }
        return before;
    }

    /** Drops releases beyond the newest {@code keep}, never the live one. */
    public void prune() {
        Path live = currentRelease();
        try (var list = Files.list(releases)) {
            List<Path> all = new ArrayList<>(list.filter(p -> RELEASE.matcher(p.getFileName().toString()).matches()).toList());
            all.sort(Comparator.comparing((Path p) -> {
                try {
                    return Files.getLastModifiedTime(p).toMillis();
                } catch (IOException e) {
                    return 0L;
                }
            }).reversed());
            for (int i = keep; i < all.size(); i++) {
                if (!all.get(i).equals(live)) TreeLoader.deleteRecursively(all.get(i));
            }
        } catch (IOException ignored) {
            // pruning is housekeeping: never fail an apply over it
        }
    }

    public void discard(Path release) {
        if (release != null && release.startsWith(releases) && !release.equals(currentRelease())) TreeLoader.deleteRecursively(release);
    }

    private void removeStaging() {
        try (var list = Files.list(releases)) {
            list.filter(p -> p.getFileName().toString().startsWith(STAGING)).forEach(TreeLoader::deleteRecursively);
        } catch (IOException ignored) {
            // nothing to clean
        }
        try (var list = Files.list(target)) {
            list.filter(p -> p.getFileName().toString().startsWith(".current-")).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // nothing to clean
        }
    }

    private static void checkNoLinks(Path root, Path dir) {
        for (Path p = dir; p != null && p.startsWith(root) && !p.equals(root); p = p.getParent()) {
            if (Files.isSymbolicLink(p)) throw Problem.badRequest("symlink_refused", "refusing to write through a symlink: " + p);
        }
    }

    /**
     * A file created with at most its mode's bits (the umask can only take away: a 0600 key is never readable by others,
     * not even for a moment), then given exactly its mode and owner, then synced with them.
     */
    private static void writeDurably(Path file, byte[] bytes, FileMeta meta, Owners owners) throws IOException {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) throw Problem.badRequest("duplicate_path", "file written twice: " + file);
        var options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        FileAttribute<?>[] create = meta.mode() == null ? new FileAttribute<?>[0]
                : new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(Owners.permissions(meta.mode()))};
        try (FileChannel ch = FileChannel.open(file, options, create)) {
            var buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) ch.write(buf);
            owners.apply(file, meta);
            ch.force(true);
        }
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // some file systems do not allow syncing a directory; the rename is still atomic
        }
    }
}
