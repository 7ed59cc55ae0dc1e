package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.cli.CliTest.Run;
import dev.rollguard.config.Severity;
import dev.rollguard.git.GitTrees;
import dev.rollguard.incident.Incident;
import dev.rollguard.incident.IncidentAnalysis;
import dev.rollguard.incident.Postmortem;
import dev.rollguard.rollout.EventData;
import dev.rollguard.validate.ValidationReport;
import dev.rollguard.versions.GitCommit;
import dev.rollguard.versions.VersionInfo;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.rollguard.cli.CliTest.run;
import static dev.rollguard.cli.CliTest.write;
import static org.assertj.core.api.Assertions.assertThat;

/** Pushes from a real Git work tree (made with JGit) record the commit; --from-git pushes a commit's tree exactly. */
class GitProvenanceTest {
    @TempDir
    Path dir;

    private static final PersonIdent ALICE = new PersonIdent("alice", "alice@example.org");

    private RevCommit commit(Git git, String message) throws Exception {
        git.add().addFilepattern(".").call();
        return git.commit().setMessage(message).setAuthor(ALICE).setCommitter(ALICE).setSign(false).call();
    }

    @Test
    void pushFromAWorkTreeRecordsTheCommitAndADirtyFlag() throws Exception {
        Path repo = dir.resolve("repo");
        write(repo, Map.of("config/site.conf", "Listen 80\n", "config/wp-settings.php", "<?php\nrequire 'a.php';\n",
                "config/a.php", "<?php\n", "README", "not pushed\n"));
        try (TestServer ts = new TestServer(); Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
            String s = "--server=" + ts.url();
            String t = "--token=" + TestServer.ADMIN_TOKEN;
            assertThat(run("service", "site", s, t).code()).isEqualTo(0);
            RevCommit first = commit(git, "Listen on port 80\n\nThe load balancer expects it.");

            Run pushed = run("push", repo.resolve("config").toString(), "-s", "site", "-m", "initial", s, t);
            assertThat(pushed.code()).as(pushed.err()).isEqualTo(0);
            assertThat(pushed.out()).contains("pushed site v1 = commit " + first.getName().substring(0, 7) + " by alice");

            // a changed file below the pushed directory makes the push dirty; a change elsewhere in the repository does not count
            Files.writeString(repo.resolve("config/site.conf"), "Listen 8080\n");
            Run dirty = run("push", repo.resolve("config").toString(), "-s", "site", "-m", "port 8080 (uncommitted)", s, t);
            assertThat(dirty.code()).as(dirty.err()).isEqualTo(0);
            RevCommit second = commit(git, "Listen on 8080");
            Files.writeString(repo.resolve("README"), "edited, outside the pushed directory\n");
            Files.writeString(repo.resolve("config/a.php"), "<?php\n// clean again\n");
            commit(git, "comment");
            Files.writeString(repo.resolve("README"), "edited again\n");
            assertThat(run("push", repo.resolve("config").toString(), "-s", "site", "-m", "committed", s, t).code()).isEqualTo(0);

            Run versions = run("versions", "-s", "site", "--json", s, t);
            assertThat(versions.code()).isEqualTo(0);
            JsonNode list = Json.MAPPER.readTree(versions.out());
            JsonNode v1 = list.get(2).path("git");
            assertThat(v1.path("commit").asText()).isEqualTo(first.getName());
            assertThat(v1.path("author").asText()).isEqualTo("alice");
            assertThat(v1.path("email").asText()).isEqualTo("alice@example.org");
            assertThat(v1.path("message").asText()).isEqualTo("Listen on port 80\n\nThe load balancer expects it.");
            assertThat(v1.path("dirty").asBoolean()).isFalse();
            JsonNode v2 = list.get(1).path("git");
            assertThat(v2.path("commit").asText()).isEqualTo(first.getName());
            assertThat(v2.path("dirty").asBoolean()).isTrue();
            assertThat(list.get(0).path("git").path("dirty").asBoolean()).isFalse();

            assertThat(run("versions", "-s", "site", s, t).out())
                    .contains("[commit " + first.getName().substring(0, 7) + " by alice (with uncommitted changes)]");
            assertThat(run("show", "-s", "site", "1", s, t).out()).contains("v1 = commit " + first.getName().substring(0, 7) + " by alice");
            String diff = run("diff", "-s", "site", "1", "2", s, t).out();
            assertThat(diff).startsWith("v1 = commit " + first.getName().substring(0, 7) + " by alice: Listen on port 80\n")
                    .contains("-Listen 80", "+Listen 8080");
            var page = ts.send("GET", "/services/site/versions/1", null);
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.body()).contains("commit " + first.getName().substring(0, 7) + " by alice", first.getName());

            // outside a work tree, or asked not to, nothing is recorded
            Path plain = write(dir.resolve("plain"), Map.of("site.conf", "Listen 81\n"));
            assertThat(run("push", plain.toString(), "-s", "site", "-m", "plain", s, t).code()).isEqualTo(0);
            assertThat(Json.MAPPER.readTree(run("versions", "-s", "site", "--json", s, t).out()).get(0).path("git").isNull()).isTrue();
            assertThat(run("push", repo.resolve("config").toString(), "-s", "site", "-m", "no git", "--no-git", s, t).code()).isEqualTo(0);
            assertThat(Json.MAPPER.readTree(run("versions", "-s", "site", "--json", s, t).out()).get(0).path("git").isNull()).isTrue();

            // --from-git pushes the committed tree, not the working copy
            Files.writeString(repo.resolve("config/site.conf"), "Listen 9999\n");
            Run fromGit = run("push", "--from-git", second.getName(), repo.resolve("config").toString(), "-s", "site", s, t);
            assertThat(fromGit.code()).as(fromGit.out() + fromGit.err()).isEqualTo(0);
            JsonNode v = Json.MAPPER.readTree(run("versions", "-s", "site", "--json", s, t).out()).get(0);
            assertThat(v.path("message").asText()).isEqualTo("Listen on 8080");
            assertThat(v.path("git").path("commit").asText()).isEqualTo(second.getName());
            assertThat(v.path("git").path("dirty").asBoolean()).isFalse();
            int n = v.path("number").asInt();
            assertThat(ts.send("GET", "/api/v1/services/site/versions/" + n + "/files/site.conf", null).body()).contains("Listen 8080");
            assertThat(ts.send("GET", "/api/v1/services/site/versions/" + n + "/files/a.php", null).body()).doesNotContain("clean again");
            assertThat(run("push", "--from-git", "no-such-rev", repo.toString(), "-s", "site", s, t).err()).contains("unknown_revision");
        }
    }

    @Test
    void aDirectoryTheCommitDoesNotHoldGetsNoCommitAndIgnoredFilesMakeADirtyPush() throws Exception {
        // the tour's case: wp/ unpacked inside a checkout whose .gitignore leaves it out
        Path repo = write(dir.resolve("repo"), Map.of(".gitignore", "wp/\n*.log\n", "conf/site.conf", "Listen 80\n"));
        try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
            commit(git, "site");
        }
        write(repo.resolve("wp"), Map.of("index.php", "<?php\n"));
        write(repo.resolve("fresh"), Map.of("new.conf", "x\n"));
        assertThat(GitTrees.workTreeCommit(repo.resolve("wp"))).isInstanceOf(GitTrees.Provenance.Untracked.class);
        assertThat(GitTrees.workTreeCommit(repo.resolve("fresh"))).isInstanceOfSatisfying(GitTrees.Provenance.Untracked.class,
                u -> assertThat(u.why()).contains("'fresh' is not in commit", "untracked or ignored"));
        assertThat(GitTrees.workTreeCommit(repo.resolve("conf")).named().orElseThrow().dirty()).isFalse();
        // an ignored file in a tracked directory is pushed with it: the push carries more than the commit
        Files.writeString(repo.resolve("conf/debug.log"), "ignored\n");
        assertThat(GitTrees.workTreeCommit(repo.resolve("conf")).named().orElseThrow().dirty()).isTrue();
        assertThat(GitTrees.workTreeCommit(repo).named().orElseThrow().dirty()).isTrue();

        try (TestServer ts = new TestServer()) {
            String s = "--server=" + ts.url();
            String t = "--token=" + TestServer.ADMIN_TOKEN;
            assertThat(run("service", "wp", s, t).code()).isEqualTo(0);
            Run pushed = run("push", repo.resolve("wp").toString(), "-s", "wp", "-m", "ignored tree", s, t);
            assertThat(pushed.code()).as(pushed.err()).isEqualTo(0);
            assertThat(pushed.out()).contains("pushed wp v1").doesNotContain("= commit");
            assertThat(pushed.err()).contains("notice: no Git provenance: 'wp' is not in commit");
            assertThat(Json.MAPPER.readTree(run("versions", "-s", "wp", "--json", s, t).out()).get(0).path("git").isNull()).isTrue();
        }
    }

    @Test
    void aCommitsTreeIsWrittenOutWithItsLinksAndExecutables() throws Exception {
        Path repo = dir.resolve("repo");
        Files.createDirectories(repo.resolve("conf/bin"));
        Files.writeString(repo.resolve("conf/site.conf"), "Listen 80\n");
        Files.writeString(repo.resolve("conf/bin/check.sh"), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(repo.resolve("conf/bin/check.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(repo.resolve("conf/current.conf"), Path.of("site.conf"));
        RevCommit c;
        try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
            c = commit(git, "with a link and a script");
        }
        // the working copy moves on; the commit is what counts
        Files.delete(repo.resolve("conf/current.conf"));
        Files.writeString(repo.resolve("conf/site.conf"), "Listen 81\n");

        Path out = Files.createDirectories(dir.resolve("out"));
        GitTrees.Checkout checkout = GitTrees.checkout(repo.resolve("conf"), c.getName(), out);
        assertThat(checkout.commit().commit()).isEqualTo(c.getName());
        assertThat(Files.readString(out.resolve("site.conf"))).isEqualTo("Listen 80\n");
        assertThat(Files.isSymbolicLink(out.resolve("current.conf"))).isTrue();
        assertThat(Files.readSymbolicLink(out.resolve("current.conf"))).isEqualTo(Path.of("site.conf"));
        assertThat(Files.isExecutable(out.resolve("bin/check.sh"))).isTrue();
        assertThat(Files.isExecutable(out.resolve("site.conf"))).isFalse();
        assertThat(GitTrees.workTreeCommit(repo.resolve("conf")).named().orElseThrow().dirty()).isTrue();
    }

    @Test
    void thePostmortemNamesTheCommitOfTheBadVersion() {
        GitCommit git = new GitCommit("3f2c1e0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "alice", "alice@example.org", "tweak\n", false);
        VersionInfo bad = new VersionInfo("wp", 7, 6, "ci-bot", "tweak", Instant.EPOCH, "h", 1, 1, false, false, true, null, null,
                new ValidationReport(List.of(), List.of(), false, List.of(), 0), git);
        Incident i = new Incident(1, "wp", "production", "v7 rolled back", Severity.SEV2, Incident.Status.OPEN, Incident.Source.ROLLBACK,
                "rollout:x", null, 6, 7, null, "rollguard", Instant.EPOCH, null, null, null, null, null, null, new IncidentAnalysis.Rollback(EventData.NONE), null, Instant.EPOCH);
        String md = Postmortem.render(new Postmortem.Facts(i, List.of(), List.of(), bad, null, null, Instant.EPOCH, null));
        assertThat(md).contains("v7 = commit 3f2c1e0 by alice");
    }
}
