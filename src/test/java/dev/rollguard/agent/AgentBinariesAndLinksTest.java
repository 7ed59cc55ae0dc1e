package dev.rollguard.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.Parts;
import dev.rollguard.TestServer;
import dev.rollguard.cli.Main;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Hashing;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeEntry;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.config.TreeWire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 14's end-to-end check: a real agent applies versions holding binary files and symlinks, and the host ends up
 * with every file's bytes (SHA-256) and every link's target exactly as pushed; a version that turns a file into a
 * link and a link into a file goes live in one step.
 */
class AgentBinariesAndLinksTest {
    private final List<Agent> agents = new ArrayList<>();
    private TestServer ts;
    private Path dir;

    @AfterEach
    void cleanUp() {
        agents.forEach(Agent::close);
        if (ts != null) ts.close();
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    private void start() {
        dir = TestServer.tempDir();
        // a real docroot is ~50 MB: the server's default limits, and a body large enough for them (as `rollguard server`)
        ts = new TestServer(dir.resolve("server"), 0, Limits.DEFAULT, 2 * Limits.DEFAULT.maxTreeBytes());
        // php -l over 1,500 PHP files is validation's business, tested elsewhere; this test is about delivery
        ts.send("PUT", "/api/v1/services/wp", "{\"validation\": {\"phpLint\": false}, "
                + "\"rollout\": {\"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}]}}");
    }

    private Agent agent(String host) {
        Agent a = new Agent(new AgentConfig(List.of(ts.url()), "wp", "testing", host, dir.resolve(host), null, null, 3,
                Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(5), TestServer.ADMIN_TOKEN),
                new HealthWindow(Instant.now()), Clock.systemUTC()).start();
        agents.add(a);
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/testing/hosts").size() == agents.size());
        return a;
    }

    private int push(ConfigTree tree, String message) {
        TestServer.Response r = ts.send("POST", "/api/v1/services/wp/versions",
                Json.write(Map.of("entries", TreeWire.encode(tree), "message", message)));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return Json.read(r.body(), JsonNode.class).path("version").path("number").asInt();
    }

    private void releaseAndAwait(Agent a, int version) {
        JsonNode rollout = ts.release("testing", version, null);
        assertThat(ts.awaitTerminal(rollout.path("id").asText()).path("state").asText()).isEqualTo("COMPLETE");
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(version).equals(a.appliedVersion()));
    }

    /** Every entry of the tree is on the host as pushed: files byte for byte, links as links with the same target. */
    private static void assertLiveTreeIs(Path current, ConfigTree tree) throws Exception {
        for (var e : tree.entries().entrySet()) {
            Path p = current.resolve(e.getKey());
            if (e.getValue() instanceof TreeEntry.Link l) {
                assertThat(Files.isSymbolicLink(p)).as(e.getKey() + " is a link").isTrue();
                assertThat(Files.readSymbolicLink(p).toString()).as(e.getKey()).isEqualTo(l.target());
            } else {
                assertThat(Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).as(e.getKey() + " is a file").isTrue();
                assertThat(Hashing.sha256(Files.readAllBytes(p))).as(e.getKey()).isEqualTo(e.getValue().hash());
            }
        }
        // and nothing else: the host's tree read back is the pushed tree
        assertThat(TreeLoader.load(current, Limits.DEFAULT).treeHash()).isEqualTo(tree.treeHash());
    }

    @Test
    void realWordPressAsShippedIsPushedByTheCliAndAppliedByteExactWithItsLinks() throws Exception {
        String env = System.getenv("ROLLGUARD_WORDPRESS_DIR");
        Path wp = env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache/rollguard/wordpress-as-shipped");
        Parts.need("WORDPRESS", Files.isRegularFile(wp.resolve("wp-settings.php")), "no real WordPress tree (set ROLLGUARD_WORDPRESS_DIR; .ci/run prepares one)");
        start();
        Agent a = agent("web-1");
        ConfigTree tree = TreeLoader.load(wp, Limits.DEFAULT);
        assertThat(tree.links()).isNotEmpty();
        assertThat(tree.entries().values()).anyMatch(e -> e instanceof TreeEntry.File f && f.binary());

        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("push", wp.toString(), "-s", "wp", "-m", "WordPress as shipped", "--server=" + ts.url(),
                "--token=" + TestServer.ADMIN_TOKEN);
        assertThat(code).as(out + "\n" + err).isEqualTo(0);
        assertThat(err.toString()).contains("symlink .htaccess -> /etc/wordpress/htaccess points outside the tree");

        // ~67 MB of bundle: far above the inline limit, so this one is fetched from the bundle route
        releaseAndAwait(a, 1);
        assertLiveTreeIs(a.releases().current(), tree);
    }

    @Test
    void aSmallTreeInlineAndAFileLinkSwapGoLiveWhole() throws Exception {
        start();
        Agent a = agent("web-1");
        byte[] gif = new byte[4096];
        for (int i = 0; i < gif.length; i++) gif[i] = (byte) (i * 31 + 7);
        Map<String, TreeEntry> v1 = new LinkedHashMap<>();
        v1.put("img/logo.gif", TreeEntry.file(gif));
        v1.put("a.conf", TreeEntry.text("a = 1\n"));
        v1.put("b.conf", TreeEntry.link("b.conf", "a.conf"));
        v1.put("wp-config.php", TreeEntry.link("wp-config.php", "/etc/wordpress/config-localhost.php"));
        v1.put("doc", TreeEntry.link("doc", "../../doc/wordpress"));
        ConfigTree t1 = ConfigTree.ofEntries(v1, Limits.DEFAULT);
        int n1 = push(t1, "v1");
        releaseAndAwait(a, n1);
        assertLiveTreeIs(a.releases().current(), t1);

        // v2: a.conf becomes a link, b.conf a file; a reader of `current` must only ever see one version or the other
        Map<String, TreeEntry> v2 = new LinkedHashMap<>(v1);
        v2.put("a.conf", TreeEntry.link("a.conf", "b.conf"));
        v2.put("b.conf", TreeEntry.text("b = 2\n"));
        ConfigTree t2 = ConfigTree.ofEntries(v2, Limits.DEFAULT);
        int n2 = push(t2, "v2");
        AtomicBoolean reading = new AtomicBoolean(true);
        ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        Thread reader = new Thread(() -> {
            Path current = a.releases().current();
            while (reading.get()) {
                try {
                    Path release = current.toRealPath();
                    boolean aLink = Files.isSymbolicLink(release.resolve("a.conf"));
                    boolean bLink = Files.isSymbolicLink(release.resolve("b.conf"));
                    String b = Files.readString(release.resolve("b.conf"));
                    seen.add((aLink ? "a=link" : "a=file") + "," + (bLink ? "b=link" : "b=file") + "," + b.strip());
                } catch (Exception e) {
                    seen.add("error: " + e);
                }
            }
        });
        reader.start();
        releaseAndAwait(a, n2);
        reading.set(false);
        reader.join();
        assertLiveTreeIs(a.releases().current(), t2);
        // v1's b.conf reads a.conf ("a = 1"), v2's is the file "b = 2"; nothing in between, no error
        assertThat(seen).isNotEmpty().allSatisfy(s -> assertThat(s).isIn("a=file,b=link,a = 1", "a=link,b=file,b = 2"));
        assertThat(seen).contains("a=link,b=file,b = 2");
    }
}
