package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.agent.Agent;
import dev.rollguard.agent.AgentConfig;
import dev.rollguard.agent.HealthWindow;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.protocol.AgentProtocol;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.rollguard.cli.CliTest.run;
import static dev.rollguard.cli.CliTest.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 22's modes and owners end to end: a tree pushed from disk by the CLI arrives through a real agent with its 0600
 * key, its 0755 script and the spec's owner (www-data, a real system user); `diff` shows a mode change; a world-readable
 * key is a warning at push; an owner the host does not know fails the apply before the switch, the old version serving.
 */
class AgentModesTest {
    private static final String KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
    private Agent agent;
    private TestServer ts;
    private Path dir;

    @AfterEach
    void cleanUp() {
        if (agent != null) agent.close();
        if (ts != null) ts.close();
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    private static PosixFileAttributes attrs(Path p) throws Exception {
        return Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(attrs(p).permissions());
    }

    private void spec(String ownership) {
        TestServer.Response r = ts.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}]}, "
                + "\"ownership\": " + ownership + "}");
        assertThat(r.status()).as(r.body()).isIn(200, 201);
    }

    @Test
    void modesAndOwnersArriveWithTheContentAndAnUnknownOwnerFailsBeforeTheSwitch() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "chown needs root");
        dir = TestServer.tempDir();
        ts = new TestServer(dir.resolve("server"), 0);
        spec("[{\"path\": \"ssl/private{,/**}\", \"owner\": \"www-data\", \"group\": \"www-data\", \"dirMode\": \"0750\"}]");
        agent = new Agent(new AgentConfig(List.of(ts.url()), "wp", "testing", "web-1", dir.resolve("host"), null, null, 3,
                Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(5), TestServer.ADMIN_TOKEN),
                new HealthWindow(Instant.now()), Clock.systemUTC()).start();

        Path tree = dir.resolve("tree");
        write(tree, Map.of("ssl/private/site.key", KEY, "bin/rotate-logs.sh", "#!/bin/sh\nexec true\n", "site.conf", "Listen 80\n",
                "ssl/leaked.pem", KEY));
        Files.setPosixFilePermissions(tree.resolve("ssl/private/site.key"), PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(tree.resolve("bin/rotate-logs.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(tree.resolve("site.conf"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(tree.resolve("ssl/leaked.pem"), PosixFilePermissions.fromString("rw-r--r--"));
        String s = "--server=" + ts.url();
        String t = "--token=" + TestServer.ADMIN_TOKEN;
        CliTest.Run v1 = run("push", tree.toString(), "-s", "wp", "-m", "key, script and config", s, t);
        assertThat(v1.code()).as(v1.err()).isEqualTo(0);
        // a PEM private key readable by everyone is a warning at push (a *.key pushed 0644 would be made 0600: its name
        // says what it is); the 0600 one is not
        assertThat(v1.out() + v1.err()).contains("ssl/leaked.pem: warning: ssl/leaked.pem holds a private key and every user of the host can read it")
                .doesNotContain("ssl/private/site.key: warning");
        releaseAndAwait(1);

        Path live = agent.releases().current();
        assertThat(mode(live.resolve("ssl/private/site.key"))).isEqualTo("rw-------");
        assertThat(mode(live.resolve("bin/rotate-logs.sh"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(live.resolve("site.conf"))).isEqualTo("rw-r--r--");
        assertThat(attrs(live.resolve("ssl/private/site.key")).owner().getName()).isEqualTo("www-data");
        assertThat(attrs(live.resolve("ssl/private/site.key")).group().getName()).isEqualTo("www-data");
        assertThat(mode(live.resolve("ssl/private"))).isEqualTo("rwxr-x---");
        assertThat(attrs(live.resolve("ssl/private")).owner().getName()).isEqualTo("www-data");
        assertThat(attrs(live.resolve("site.conf")).owner().getName()).isEqualTo("root");
        // the script runs as shipped
        assertThat(new ProcessBuilder(live.resolve("bin/rotate-logs.sh").toString()).start().waitFor()).isEqualTo(0);

        // v2 changes only a mode: a new version, and its diff says so as Git does
        Files.setPosixFilePermissions(tree.resolve("site.conf"), PosixFilePermissions.fromString("rw-r-----"));
        CliTest.Run v2 = run("push", tree.toString(), "-s", "wp", "-m", "site.conf not for others", s, t);
        assertThat(v2.code()).as(v2.err()).isEqualTo(0);
        CliTest.Run diff = run("diff", "-s", "wp", "1", "2", s, t);
        assertThat(diff.out()).isEqualTo("diff v1/site.conf v2/site.conf\nold mode 100644\nnew mode 100640\n");
        JsonNode json = ts.get("/api/v1/services/wp/diff?from=1&to=2");
        // compared as JSON (the order of an object's fields is not part of it)
        assertThat(json.path("files").get(0).path("meta")).isEqualTo(Json.read("{\"from\":{},\"to\":{\"mode\":\"0640\"}}", JsonNode.class));
        releaseAndAwait(2);
        assertThat(mode(agent.releases().current().resolve("site.conf"))).isEqualTo("rw-r-----");

        // v3: the spec names an owner no host has; the agent refuses the tree before the switch and v2 keeps serving
        spec("[{\"path\": \"ssl/private{,/**}\", \"owner\": \"rg-no-such-user\", \"group\": \"www-data\"}]");
        Files.writeString(tree.resolve("site.conf"), "Listen 8080\n");
        CliTest.Run v3 = run("push", tree.toString(), "-s", "wp", "-m", "port 8080, new owner", s, t);
        assertThat(v3.code()).as(v3.err()).isEqualTo(0);
        Path before = agent.releases().currentRelease();
        ts.release("testing", 3, null);
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(3).equals(agent.failedVersion()));
        AgentProtocol.HostFailure failure = agent.failure();
        assertThat(failure.stage()).isEqualTo(AgentProtocol.Stage.APPLY);
        assertThat(failure.message()).contains("user 'rg-no-such-user' (owner of ssl/private)");
        assertThat(agent.appliedVersion()).isEqualTo(2);
        assertThat(agent.releases().currentRelease()).isEqualTo(before);
        assertThat(Files.readString(agent.releases().current().resolve("site.conf"))).isEqualTo("Listen 80\n");
        // nothing of v3 was left staged
        try (var releases = Files.list(agent.releases().target().resolve("releases"))) {
            assertThat(releases.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("v3-") || n.startsWith(".staging-v3"));
        }
        // and the server knows why, as the typed failure
        await().atMost(TestServer.PATIENCE).until(() -> {
            JsonNode hosts = ts.get("/api/v1/services/wp/environments/testing/hosts");
            return hosts.toString().contains("rg-no-such-user");
        });
    }

    @Test
    void pushFromGitCarriesTheExecutableBit() throws Exception {
        dir = TestServer.tempDir();
        ts = new TestServer(dir.resolve("server"), 0);
        spec("[]");
        Path repo = dir.resolve("repo");
        write(repo, Map.of("conf/run.sh", "#!/bin/sh\n", "conf/site.conf", "Listen 80\n"));
        Files.setPosixFilePermissions(repo.resolve("conf/run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        // group-writable on disk: Git keeps only the executable bit, so it arrives 0644
        Files.setPosixFilePermissions(repo.resolve("conf/site.conf"), PosixFilePermissions.fromString("rw-rw-r--"));
        try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
            git.add().addFilepattern(".").call();
            PersonIdent alice = new PersonIdent("alice", "alice@example.org");
            git.commit().setMessage("run.sh").setAuthor(alice).setCommitter(alice).setSign(false).call();
        }
        CliTest.Run pushed = run("push", repo.resolve("conf").toString(), "--from-git", "HEAD", "-s", "wp",
                "--server=" + ts.url(), "--token=" + TestServer.ADMIN_TOKEN);
        assertThat(pushed.code()).as(pushed.err()).isEqualTo(0);
        JsonNode bundle = ts.get("/api/v1/services/wp/versions/1/bundle");
        Map<String, String> modes = new TreeMap<>();
        bundle.path("entries").forEach(e -> modes.put(e.path("path").asText(), e.path("mode").asText("none")));
        assertThat(modes).isEqualTo(Map.of("run.sh", "0755", "site.conf", "none"));
    }

    private void releaseAndAwait(int version) {
        JsonNode rollout = ts.release("testing", version, null);
        assertThat(ts.awaitTerminal(rollout.path("id").asText()).path("state").asText()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(version).equals(agent.appliedVersion()));
    }
}
