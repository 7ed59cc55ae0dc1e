package dev.rollguard.cli;

import dev.rollguard.Parts;
import dev.rollguard.Processes;
import dev.rollguard.TestServer;
import dev.rollguard.config.Hashing;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.sim.WordPressLikeTree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    /** One CLI call as {@code main} makes it: only the commands the arguments name are built in full. */
    static Run run(String... args) {
        return run(Main.forArgs(args), args);
    }

    static Run run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = Main.execute(cl, args);
        return new Run(code, out.toString(), err.toString());
    }

    static Path write(Path root, Map<String, String> files) throws IOException {
        Files.createDirectories(root);
        for (var e : files.entrySet()) {
            Path p = root.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, e.getValue());
        }
        return root;
    }

    @Test
    void validateFindsTheSeedTypoAndPassesTheFixedTree() throws IOException {
        Map<String, String> good = WordPressLikeTree.generate(600, 5);
        Path clean = write(dir.resolve("clean"), good);
        Path broken = write(dir.resolve("broken"), WordPressLikeTree.withTypo(good));

        Run bad = run("validate", broken.toString(), "--builtin-only");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.out()).containsPattern("wp-settings\\.php:\\d+:\\d+: error: .*missing-reference")
                .contains("did you mean '.php'?", "did you mean 'wp-includes/class-wp-hook.php'?");

        Run ok = run("validate", clean.toString(), "--builtin-only");
        assertThat(ok.code()).as(ok.out()).isEqualTo(0);
        assertThat(ok.out()).contains("0 error(s), 0 warning(s) in 600 file(s)");

        Run json = run("validate", broken.toString(), "--builtin-only", "--json");
        assertThat(json.code()).isEqualTo(1);
        assertThat(json.out()).contains("\"suggestion\" : \"did you mean '.php'?\"");
    }

    @Test
    void validateWithExternalToolsWhenPresent() throws IOException {
        Parts.need("PHP", Processes.which("php").isPresent(), "php is not installed (apt-get install php-cli)");
        Map<String, String> files = WordPressLikeTree.generate(60, 5);
        files.put("wp-includes/broken.php", "<?php\nfunction x( {\n");
        Run r = run("validate", write(dir.resolve("t"), files).toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("wp-includes/broken.php:2: error:", "[php-lint]");
    }

    @Test
    void everyCommandExplainsItselfWithHelp() {
        for (String[] command : new String[][]{{"server"}, {"release"}, {"fix"}, {"incident"}, {"bench"}, {"agent"}}) {
            String[] args = Arrays.copyOf(command, command.length + 1);
            args[command.length] = "--help";
            Run r = run(args);
            assertThat(r.code()).as(String.join(" ", args) + ": " + r.err()).isZero();
            assertThat(r.out()).as(String.join(" ", args)).contains("Usage: rollguard " + String.join(" ", command));
        }
    }

    @Test
    void usageAndInputErrorsHaveTheRightExitCodes() throws IOException {
        assertThat(run().code()).isEqualTo(2);
        assertThat(run("no-such-command").code()).isEqualTo(2);
        assertThat(run("validate").code()).isEqualTo(2);
        assertThat(run("push", "x").code()).isEqualTo(2);
        Run missing = run("validate", dir.resolve("nope").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).startsWith("rollguard: no such directory").doesNotContain("Exception").doesNotContain("\tat ");
        Path bin = write(dir.resolve("bin"), Map.of("a.conf", "ok"));
        Files.write(bin.resolve("logo.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 1});
        assertThat(run("validate", bin.toString()).code()).as("binary files are part of a tree").isEqualTo(0);
        // binary files are simply handled: the flag that left them out is gone
        assertThat(run("validate", bin.toString(), "--skip-binary").code()).isEqualTo(2);
        Run offline = run("versions", "--service", "x", "--server", "http://127.0.0.1:1");
        assertThat(offline.code()).isEqualTo(1);
        assertThat(offline.err()).contains("cannot reach the Rollguard server");
    }

    /** A directory as users have them: images, links in and out of the tree, a dangling link, a FIFO, a socket. */
    private Path docroot(Path root) throws Exception {
        write(root, Map.of("index.php", "<?php\nrequire __DIR__ . '/inc/settings.php';\n", "lib/settings.php", "<?php\n"));
        Files.write(root.resolve("logo.gif"), new byte[] {'G', 'I', 'F', '8', '9', 'a', 0, (byte) 0xff});
        Files.createSymbolicLink(root.resolve("inc"), Path.of("lib"));
        Files.createSymbolicLink(root.resolve(".htaccess"), Path.of("/etc/wordpress/htaccess"));
        Files.createSymbolicLink(root.resolve("jquery.js"), Path.of("../../javascript/jquery/jquery.js"));
        assertThat(new ProcessBuilder("mkfifo", root.resolve("pipe").toString()).start().waitFor()).isEqualTo(0);
        try (var ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(root.resolve("php.sock")));
        }
        return root;
    }

    @Test
    void validatePushAndFixTakeAnyDirectoryAsIs() throws Exception {
        Path root = docroot(dir.resolve("docroot"));
        Run clean = run("validate", root.toString(), "--builtin-only");
        // the FIFO and the socket are findings at their paths (warnings), the links out of the tree notices
        assertThat(clean.code()).isEqualTo(1);
        assertThat(clean.out() + clean.err())
                .contains("pipe: warning: left out: is not a regular file (a FIFO, socket or device)")
                .contains("php.sock: warning: left out")
                .contains("notice: symlink .htaccess -> /etc/wordpress/htaccess points outside the tree: kept as a link, not followed")
                .contains("notice: symlink jquery.js -> ../../javascript/jquery/jquery.js points outside the tree")
                .doesNotContain("error:");

        Files.createSymbolicLink(root.resolve("gone.php"), Path.of("lib/nothing.php"));
        Files.createSymbolicLink(root.resolve("loop-a"), Path.of("loop-b"));
        Files.createSymbolicLink(root.resolve("loop-b"), Path.of("loop-a"));
        Run dangling = run("validate", root.toString(), "--builtin-only");
        assertThat(dangling.code()).isEqualTo(1);
        assertThat(dangling.out()).contains("gone.php: error: symlink gone.php -> lib/nothing.php is dangling: nothing at 'lib/nothing.php'")
                .contains("loop-a: error: symlink loop-a -> loop-b never ends").contains("[link_cycle]");
        assertThat(dangling.err()).doesNotContain("rollguard: reading");

        try (TestServer ts = new TestServer()) {
            String s = "--server=" + ts.url();
            String t = "--token=" + TestServer.ADMIN_TOKEN;
            assertThat(run("service", "docroot", s, t).code()).isEqualTo(0);
            Run refused = run("push", root.toString(), "-s", "docroot", "-m", "dangling", s, t);
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.out()).contains("[dangling_link]");
            Files.delete(root.resolve("gone.php"));
            Files.delete(root.resolve("loop-a"));
            Files.delete(root.resolve("loop-b"));
            Run pushed = run("push", root.toString(), "-s", "docroot", "-m", "as is", s, t);
            assertThat(pushed.code()).as(pushed.err() + pushed.out()).isEqualTo(0);
            assertThat(pushed.err()).contains("notice: left out pipe: is not a regular file");
            assertThat(pushed.out()).contains("pushed docroot v1");
            var tree = ts.server.config().tree("docroot", 1);
            assertThat(tree.links()).containsEntry("inc", "lib").containsEntry(".htaccess", "/etc/wordpress/htaccess");
            assertThat(tree.hash("logo.gif")).isEqualTo(Hashing.sha256(Files.readAllBytes(root.resolve("logo.gif"))));
        }

        if (!"root".equals(System.getProperty("user.name"))) {
            Path locked = Files.createDirectories(dir.resolve("locked/sub"));
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
            Run unreadable = run("validate", dir.resolve("locked").toString());
            assertThat(unreadable.code()).isEqualTo(2);
            assertThat(unreadable.err()).contains("cannot read directory").contains("permission denied");
        }
    }

    @Test
    void pushVersionsDiffFixReleaseAgainstARealServer() throws IOException {
        try (TestServer ts = new TestServer()) {
            String s = "--server=" + ts.url();
            String t = "--token=" + TestServer.ADMIN_TOKEN;
            Path spec = write(dir.resolve("spec"), Map.of("spec.yaml", "environments: [testing, production]\nrollout:\n  promotionBakeSeconds: 0\n"))
                    .resolve("spec.yaml");
            assertThat(run("service", "wordpress-api", "--spec", spec.toString(), s, t).code()).isEqualTo(0);
            Map<String, String> good = WordPressLikeTree.generate(200, 9);
            Path clean = write(dir.resolve("clean"), good);
            Path broken = write(dir.resolve("broken"), WordPressLikeTree.withTypo(good));

            assertThat(run("push", clean.toString(), "-s", "wordpress-api", "-m", "initial", s, t).code()).isEqualTo(0);
            Run refused = run("push", broken.toString(), "-s", "wordpress-api", "-m", "typo", s, t);
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.out()).contains("did you mean '.php'?", "refused:");

            Run forced = run("push", broken.toString(), "-s", "wordpress-api", "-m", "typo", "--break-glass", "urgent", s, t);
            assertThat(forced.code()).isEqualTo(0);
            assertThat(forced.out()).contains("pushed wordpress-api v2 (BREAK-GLASS: urgent)");

            Run versions = run("versions", "-s", "wordpress-api", s, t);
            assertThat(versions.out()).contains("v2", "BREAK-GLASS", "v1");
            assertThat(run("versions", "-s", "wordpress-api", "--json", s, t).out()).startsWith("[");

            Run diff = run("diff", "-s", "wordpress-api", "1", "2", s, t);
            assertThat(diff.out()).contains("+require ABSPATH . WPINC . '/class-wp-hook.phpp';");

            Run fix = run("fix", "-s", "wordpress-api", "--version", "2", s, t);
            assertThat(fix.code()).as(fix.err()).isEqualTo(0);
            assertThat(fix.out()).contains("pushed wordpress-api v3");

            // local fix: the directory is left as it is, the fixed tree is pushed
            Files.writeString(broken.resolve("extra.conf"), "x\n");
            Run localFix = run("fix", broken.toString(), "-s", "wordpress-api", s, t);
            assertThat(localFix.code()).as(localFix.err() + localFix.out()).isEqualTo(0);
            assertThat(localFix.out()).contains("replaced '.phpp' with '.php'");
            assertThat(Files.readString(broken.resolve("wp-settings.php"))).contains(".phpp");

            Run show = run("show", "-s", "wordpress-api", "2", s, t);
            assertThat(show.out()).contains("BREAK-GLASS: urgent", "did you mean '.php'?");

            Run order = run("release", "-s", "wordpress-api", "-e", "production", "--version", "3", s, t);
            assertThat(order.code()).isEqualTo(1);
            assertThat(order.err()).contains("never released to 'testing'", "[promotion_order]");
            assertThat(run("release", "-s", "wordpress-api", "-e", "testing", "--version", "3", s, t).code()).isEqualTo(0);
            assertThat(run("release", "-s", "wordpress-api", "-e", "production", "--version", "3", s, t).code()).isEqualTo(0);
            assertThat(run("envs", "-s", "wordpress-api", s, t).out()).contains("production", "v3");
            assertThat(run("services", s, t).out()).contains("wordpress-api  testing=v3  production=v3");
        } finally {
            TreeLoader.deleteRecursively(dir.resolve("clean"));
        }
    }

    @Test
    void incidentsPostmortemsAndActionItemsFromTheCommandLine() {
        try (TestServer ts = new TestServer()) {
            String s = "--server=" + ts.url();
            String t = "--token=" + TestServer.ADMIN_TOKEN;
            assertThat(ts.send("PUT", "/api/v1/services/wp", "{}").status()).isEqualTo(200);
            assertThat(run("incidents", s, t).out()).contains("no incidents");
            assertThat(run("incident", "open", s, t).code()).isEqualTo(2);
            Run opened = run("incident", "open", "-s", "wp", "-e", "production", "--title", "checkout down", "--severity", "SEV2", s, t);
            assertThat(opened.code()).as(opened.err()).isEqualTo(0);
            assertThat(opened.out()).contains("#1  SEV2  open", "wp/production", "checkout down");
            assertThat(run("incident", "note", "1", "rolled", "back", "by", "hand", s, t).code()).isEqualTo(0);
            assertThat(run("incident", "ack", "1", s, t).code()).isEqualTo(0);
            assertThat(run("actions", "add", "1", "--title", "probe checkout", "--owner", "dan", "--due", "2026-12-01", s, t).out())
                    .contains("#1  [open]  incident #1  probe checkout  owner: dan  due: 2026-12-01");
            Run show = run("incident", "show", "1", s, t);
            assertThat(show.out()).contains("rolled back by hand", "acknowledged by", "probe checkout");
            assertThat(run("incident", "show", "1", "--json", s, t).out()).startsWith("{");
            assertThat(run("incidents", "--json", s, t).out()).startsWith("[");
            assertThat(run("actions", "done", "1", s, t).out()).contains("[done]");
            assertThat(run("actions", "--status", "open", s, t).out()).contains("no action items");
            Run pm = run("postmortem", "1", s, t);
            assertThat(pm.code()).isEqualTo(0);
            assertThat(pm.out()).startsWith("# Postmortem: checkout down").contains("## Timeline", "rolled back by hand", "probe checkout");
            assertThat(run("incident", "resolve", "1", "fixed", s, t).code()).isEqualTo(0);
            Run again = run("incident", "resolve", "1", s, t);
            assertThat(again.code()).isEqualTo(1);
            assertThat(again.err()).contains("already resolved");
            assertThat(run("incident", "show", "42", s, t).code()).isEqualTo(1);
            assertThat(run("incident", "dance", "1", s, t).code()).isEqualTo(2);
        }
    }

    @Test
    void aSecondServerOnABusyPortSaysSoInOneLineAndCreatesNothing() {
        try (TestServer ts = new TestServer()) {
            Path db = dir.resolve("second").resolve("rollguard.db");
            Run second = run("server", "--port", String.valueOf(ts.server.port()), "--db", db.toString());
            assertThat(second.code()).isEqualTo(1);
            assertThat(second.err().strip()).doesNotContain("\n").startsWith("rollguard: cannot listen on 127.0.0.1:" + ts.server.port())
                    .contains("--port").endsWith("[cannot_listen]");
            assertThat(dir.resolve("second")).doesNotExist();
        }
    }

    @Test
    void usersTokensEnrolmentAndTheAuditFromTheCommandLine() {
        try (TestServer ts = new TestServer()) {
            String s = "--server=" + ts.url();
            String t = "--token=" + TestServer.ADMIN_TOKEN;
            Run anonymous = run("services", s);
            assertThat(anonymous.code()).isEqualTo(1);
            assertThat(anonymous.err()).contains("[unauthenticated]", "ROLLGUARD_TOKEN", "'rollguard services --token <token>'");
            // what the message suggests works, and so does the option before the command
            assertThat(run("services", s, "--token", TestServer.ADMIN_TOKEN).code()).isEqualTo(0);
            assertThat(run("--token", TestServer.ADMIN_TOKEN, "services", s).code()).isEqualTo(0);
            assertThat(run("service", "wp", s, t).code()).isEqualTo(0);
            assertThat(run("user", "add", "bob", s, t).code()).isEqualTo(0);
            assertThat(run("user", "grant", "bob", "--role", "viewer", "-s", "wp", s, t).code()).isEqualTo(0);
            assertThat(run("user", "list", s, t).out()).contains("bob viewer@wp", "admin admin@*");
            Run token = run("token", "create", "--user", "bob", "--name", "laptop", s, t);
            assertThat(token.code()).as(token.err()).isEqualTo(0);
            String bob = "--token=" + token.out().lines().findFirst().orElseThrow();
            assertThat(run("services", s, bob).out()).contains("wp");
            Run refused = run("push", dir.toString(), "-s", "wp", "-m", "x", s, bob);
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.err()).contains("[forbidden]");
            assertThat(run("token", "list", s, t).out()).contains("laptop");
            assertThat(run("enrol", "-s", "wp", "-e", "production", "--host", "web-1", s, t).out()).startsWith("rg_");
            Run verify = run("audit", "verify", s, t);
            assertThat(verify.code()).as(verify.err()).isEqualTo(0);
            assertThat(verify.out()).contains("audit log intact");
            assertThat(run("audit", "export", s, t).out()).contains("POST /api/v1/users");
            assertThat(run("audit", "verify", s, bob).code()).isEqualTo(1);
        }
    }
}
