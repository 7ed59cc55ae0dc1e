package dev.rollguard.git;

import dev.rollguard.Problem;
import dev.rollguard.TestServer;
import dev.rollguard.config.TreeLoader;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 25 item 5: a crafted commit (Git's own tools would refuse to make it, a hostile branch can still hold it) is
 * checked out without following links: nothing is ever written outside the directory it is checked out into.
 */
class GitTreesTest {
    private final Path dir = TestServer.tempDir();

    @AfterEach
    void cleanUp() {
        TreeLoader.deleteRecursively(dir);
    }

    /** A repository whose HEAD commit has the given root tree, built with {@code tree}. */
    private Path repoWith(TreeBuilder tree) throws Exception {
        Path repo = dir.resolve("repo");
        try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
            Repository r = git.getRepository();
            try (ObjectInserter in = r.newObjectInserter()) {
                ObjectId root = tree.build(in);
                CommitBuilder c = new CommitBuilder();
                c.setTreeId(root);
                PersonIdent who = new PersonIdent("mallory", "m@example.org");
                c.setAuthor(who);
                c.setCommitter(who);
                c.setMessage("crafted");
                ObjectId commit = in.insert(c);
                in.flush();
                RefUpdate u = r.updateRef(Constants.HEAD);
                u.setNewObjectId(commit);
                u.forceUpdate();
            }
        }
        return repo;
    }

    interface TreeBuilder {
        ObjectId build(ObjectInserter in) throws Exception;
    }

    private static ObjectId blob(ObjectInserter in, String text) throws Exception {
        return in.insert(Constants.OBJ_BLOB, text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aSymlinkAndADirectoryOfOneNameWriteNothingOutside() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path repo = repoWith(in -> {
            TreeFormatter sub = new TreeFormatter();
            sub.append("pwned", FileMode.REGULAR_FILE, blob(in, "written through the link\n"));
            ObjectId subTree = in.insert(sub);
            TreeFormatter root = new TreeFormatter();
            // Git sorts a blob "a" before a tree "a": the link is written first, then a/pwned would follow it
            root.append("a", FileMode.SYMLINK, blob(in, outside.toString()));
            root.append("a", FileMode.TREE, subTree);
            return in.insert(root);
        });
        Path into = Files.createDirectories(dir.resolve("checkout"));
        assertThatThrownBy(() -> GitTrees.checkout(repo, "HEAD", into)).isInstanceOf(Problem.class)
                .hasMessageContaining("'a/pwned' lies under 'a'");
        assertThat(outside.resolve("pwned")).doesNotExist();
    }

    @Test
    void aFileNamedTwiceIsNeverWrittenThroughTheFirst() throws Exception {
        Path outside = dir.resolve("victim.txt");
        Files.writeString(outside, "untouched\n");
        Path repo = repoWith(in -> {
            TreeFormatter root = new TreeFormatter();
            root.append("x", FileMode.SYMLINK, blob(in, outside.toString()));
            root.append("x", FileMode.REGULAR_FILE, blob(in, "overwritten\n"));
            return in.insert(root);
        });
        Path into = Files.createDirectories(dir.resolve("checkout"));
        assertThatThrownBy(() -> GitTrees.checkout(repo, "HEAD", into)).isInstanceOf(Problem.class).hasMessageContaining("appears twice");
        assertThat(outside).hasContent("untouched");
    }

    @Test
    void anOrdinaryTreeWithLinksChecksOutAsStored() throws Exception {
        Path repo = repoWith(in -> {
            TreeFormatter sites = new TreeFormatter();
            sites.append("default.conf", FileMode.REGULAR_FILE, blob(in, "Listen 80\n"));
            TreeFormatter root = new TreeFormatter();
            root.append("current", FileMode.SYMLINK, blob(in, "sites"));
            root.append("sites", FileMode.TREE, in.insert(sites));
            return in.insert(root);
        });
        Path into = Files.createDirectories(dir.resolve("checkout"));
        GitTrees.checkout(repo, "HEAD", into);
        assertThat(Files.readSymbolicLink(into.resolve("current"))).isEqualTo(Path.of("sites"));
        assertThat(into.resolve("sites/default.conf")).hasContent("Listen 80");
    }
}
