package dev.rollguard.git;

import dev.rollguard.Problem;
import dev.rollguard.versions.GitCommit;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.Status;
import org.eclipse.jgit.api.StatusCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads Git repositories in process (JGit): which commit a work-tree directory is at and whether it has changes on
 * top of it, and a commit's tree written out to a directory exactly as Git stores it (symlinks as symlinks,
 * executables executable), so that a push from Git goes through the same loader as a push from disk.
 */
public final class GitTrees {
    private GitTrees() {}

    /** A commit's tree written below {@code dir}; {@code skipped} lists what a directory cannot hold (submodules). */
    public record Checkout(GitCommit commit, Path dir, List<String> skipped) {}

    /** Where a work-tree directory comes from: a commit, or why no commit can be named. */
    public sealed interface Provenance {
        /** The directory is tracked in this commit (dirty when it carries more than the commit, see {@link #workTreeCommit}). */
        record Commit(GitCommit commit) implements Provenance {}

        /** Not in a Git work tree, or no commit yet: nothing to say. */
        record None() implements Provenance {}

        /** In a work tree but not in its commit (untracked or ignored): the commit would be a lie, so none is named. */
        record Untracked(String why) implements Provenance {}

        default Optional<GitCommit> named() {
            return this instanceof Commit c ? Optional.of(c.commit()) : Optional.empty();
        }
    }

    /**
     * The commit checked out in the work tree holding {@code dir}, if {@code dir} is in that commit at all: a directory
     * that is untracked or ignored as a whole has no commit ({@link Provenance.Untracked}), since the commit holds none of
     * it. Dirty when {@code dir} has modified, staged, untracked or ignored files (all of which a push of {@code dir}
     * would carry); {@link Provenance.None} outside a work tree or before the first commit.
     */
    public static Provenance workTreeCommit(Path dir) {
        try (Repository repo = open(dir)) {
            if (repo == null || repo.isBare()) return new Provenance.None();
            ObjectId head = repo.resolve(Constants.HEAD);
            if (head == null) return new Provenance.None();
            try (RevWalk walk = new RevWalk(repo); Git git = new Git(repo)) {
                RevCommit commit = walk.parseCommit(head);
                String rel = relativePath(repo, dir);
                if (!rel.isEmpty()) {
                    try (TreeWalk at = TreeWalk.forPath(repo, rel, commit.getTree())) {
                        if (at == null || !at.isSubtree()) {
                            return new Provenance.Untracked("'" + rel + "' is not in commit " + commit.getName().substring(0, 7)
                                    + " (untracked or ignored)");
                        }
                    }
                }
                StatusCommand status = git.status();
                if (!rel.isEmpty()) status.addPath(rel);
                Status st = status.call();
                return new Provenance.Commit(provenance(commit, !st.isClean() || !st.getIgnoredNotInIndex().isEmpty()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the Git repository of " + dir + ": " + e.getMessage(), e);
        } catch (GitAPIException e) {
            throw new IllegalStateException("git status of " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the tree of {@code path} (a directory in a work tree, or the work tree itself) as it is at {@code rev}
     * into the empty directory {@code into}.
     */
    public static Checkout checkout(Path path, String rev, Path into) {
        try (Repository repo = open(path)) {
            if (repo == null) throw Problem.badRequest("not_a_git_repository", path.toAbsolutePath() + " is not in a Git work tree");
            ObjectId id = repo.resolve(rev + "^{commit}");
            if (id == null) throw Problem.badRequest("unknown_revision", "no commit '" + rev + "' in " + repo.getDirectory());
            String rel = relativePath(repo, path);
            try (RevWalk walk = new RevWalk(repo); ObjectReader reader = repo.newObjectReader()) {
                RevCommit commit = walk.parseCommit(id);
                List<String> skipped = new ArrayList<>();
                ObjectId root = commit.getTree();
                if (!rel.isEmpty()) {
                    try (TreeWalk at = TreeWalk.forPath(repo, reader, rel, commit.getTree())) {
                        if (at == null) throw Problem.badRequest("not_found", "'" + rel + "' does not exist at " + rev);
                        if (!at.isSubtree()) throw Problem.badRequest("not_a_directory", "'" + rel + "' is not a directory at " + rev);
                        root = at.getObjectId(0);
                    }
                }
                try (TreeWalk tree = new TreeWalk(repo, reader)) {
                    tree.addTree(root);
                    tree.setRecursive(true);
                    while (tree.next()) write(tree, reader, into, skipped);
                }
                // Git records no directory modes: every directory is 0755, whatever the umask made of it here
                try (var dirs = Files.walk(into)) {
                    for (Path d : (Iterable<Path>) dirs.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))::iterator) {
                        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
                    }
                }
                return new Checkout(provenance(commit, false), into, List.copyOf(skipped));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + rev + " of " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes one entry without following any link: a crafted commit can hold a symlink {@code a -> /outside} and a
     * directory {@code a/} (two entries of one name), and writing {@code a/x} through the link would write outside the
     * tree as whoever pushes. Every directory on the way is made here and must be a real directory; files and links are
     * created new (O_EXCL), never written through something already there.
     */
    private static void write(TreeWalk tree, ObjectReader reader, Path into, List<String> skipped) throws IOException {
        String name = tree.getPathString();
        Path target = into.resolve(name).normalize();
        if (!target.startsWith(into) || target.equals(into)) throw Problem.badRequest("path_traversal", "path escapes the tree: " + name);
        FileMode mode = tree.getFileMode(0);
        if (mode == FileMode.GITLINK) {
            skipped.add(name + " (submodule)");
            return;
        }
        Path dir = into;
        for (Path part : into.relativize(target.getParent() == null ? into : target.getParent())) {
            if (part.toString().isEmpty()) continue;
            dir = dir.resolve(part);
            if (Files.isSymbolicLink(dir) || (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS))) {
                throw Problem.badRequest("invalid_git_tree", "'" + name + "' lies under '" + into.relativize(dir)
                        + "', which this commit also has as a file or a symlink: nothing was pushed");
            }
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) Files.createDirectory(dir);
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw Problem.badRequest("invalid_git_tree", "'" + name + "' appears twice in this commit's tree: nothing was pushed");
        }
        byte[] bytes = reader.open(tree.getObjectId(0)).getBytes();
        if (mode == FileMode.SYMLINK) {
            Files.createSymbolicLink(target, Path.of(new String(bytes, StandardCharsets.UTF_8)));
            return;
        }
        Files.write(target, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        // Git keeps one bit: executable (100755) or not (100644); the umask of this machine must not add to it
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(mode == FileMode.EXECUTABLE_FILE ? "rwxr-xr-x" : "rw-r--r--"));
    }

    private static GitCommit provenance(RevCommit commit, boolean dirty) {
        PersonIdent author = commit.getAuthorIdent();
        return new GitCommit(commit.getName(), author.getName(), author.getEmailAddress(), commit.getFullMessage().strip(), dirty);
    }

    private static Repository open(Path dir) throws IOException {
        FileRepositoryBuilder builder = new FileRepositoryBuilder().readEnvironment().findGitDir(dir.toAbsolutePath().toFile());
        return builder.getGitDir() == null ? null : builder.setMustExist(true).build();
    }

    /** {@code dir} relative to the work tree, with '/' separators; empty for the work tree itself. */
    private static String relativePath(Repository repo, Path dir) throws IOException {
        Path work = repo.getWorkTree().toPath().toRealPath();
        Path abs = Files.exists(dir) ? dir.toRealPath() : dir.toAbsolutePath().normalize();
        if (!abs.startsWith(work)) throw Problem.badRequest("outside_work_tree", dir + " is outside the Git work tree " + work);
        return work.relativize(abs).toString().replace('\\', '/');
    }
}
