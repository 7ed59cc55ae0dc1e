package dev.rollguard.validate;

import dev.rollguard.Json;
import dev.rollguard.Parts;
import dev.rollguard.Processes;
import dev.rollguard.TestServer;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.sandbox.Sandbox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.rollguard.validate.Trees.files;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * No validator can make the server open a path outside the tree, reach the network or run as the server: every
 * answer is checked for the secret files' contents, and an Include of an existing secret reads exactly like an
 * Include of a path that does not exist. A per-service admin cannot make the server run a program at all.
 */
class SandboxEscapeTest {
    static Sandbox sandbox;
    static Path secrets;
    static final String SECRET = "rg_secret-token-line-do-not-leak-0123456789";

    @BeforeAll
    static void setUp() throws IOException {
        sandbox = Sandbox.detect();
        // stand-ins for the server's database and token files, at absolute paths the server can read
        secrets = Files.createTempDirectory("rollguard-secrets-");
        Files.writeString(secrets.resolve("rollguard.db"), SECRET + "\nsecond line\n");
        Files.writeString(secrets.resolve("token"), SECRET + "\n");
    }

    /** Skipped where bubblewrap cannot run, failed where bin/test promised it (ROLLGUARD_REQUIRE_SANDBOX). */
    static void needSandbox() {
        Parts.need("SANDBOX", sandbox.available(), "bubblewrap cannot run here: " + sandbox.unavailableReason());
    }

    @AfterAll
    static void tearDown() throws IOException {
        sandbox.close();
        Files.deleteIfExists(secrets.resolve("rollguard.db"));
        Files.deleteIfExists(secrets.resolve("token"));
        Files.deleteIfExists(secrets);
    }

    /** The first lines of files that exist on this machine and must never appear in an answer. */
    static List<String> secretLines() throws IOException {
        List<String> lines = new ArrayList<>(List.of(SECRET));
        for (String f : List.of("/etc/shadow", "/root/.bash_history", "/etc/hostname")) {
            Path p = Path.of(f);
            if (Files.isReadable(p) && Files.size(p) > 0) {
                Files.readAllLines(p).stream().filter(l -> l.strip().length() >= 6).limit(3).forEach(lines::add);
            }
        }
        return lines;
    }

    static void assertNoSecret(String answer) throws IOException {
        for (String s : secretLines()) assertThat(answer).as("leaks a line of a file outside the tree").doesNotContain(s.strip());
    }

    static String apacheConf(String extra) {
        return "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\nServerName localhost\nListen 127.0.0.1:18082\n"
                + "PidFile ${APACHE_PID_FILE}\nErrorLog /dev/null\n" + extra;
    }

    @Test
    void apacheConfigTestSeesNothingOutsideTheTree() throws IOException {
        needSandbox();
        Parts.need("APACHE", Processes.which("apache2", "httpd").isPresent(), "apache2 is not installed");
        ApacheConfigValidator apache = new ApacheConfigValidator(sandbox);
        List<String> targets = List.of("/etc/shadow", "/root/.bash_history", secrets.resolve("rollguard.db").toString(),
                secrets.resolve("token").toString(), "../../../../../../etc/shadow", "/proc/self/environ", "/etc/passwd");
        String missing = message(apache, "Include /nonexistent/nothing-here");
        for (String t : targets) {
            for (String directive : List.of("Include", "IncludeOptional", "AuthUserFile", "TypesConfig")) {
                List<Finding> f = Trees.run(apache, files("apache2.conf", apacheConf(directive + " " + t + "\n")));
                String answer = Json.write(f);
                assertNoSecret(answer);
                if (directive.equals("Include") && t.startsWith("/") && !t.equals("/etc/passwd")) {
                    // an existing secret and a path that does not exist read the same: not even existence leaks
                    assertThat(f).singleElement().extracting(Finding::message).asString()
                            .isEqualTo(missing.replace("/nonexistent/nothing-here", t));
                }
            }
        }
        assertThat(missing).contains("outside the tree");
        // the sandbox's own /etc/passwd (a fixed list of Debian's system users, not the host's) is read but never shown
        assertThat(message(apache, "Include /etc/passwd")).contains("outside the tree").doesNotContain("root:");
    }

    /** Issue 25 item 3: a pushed shared object is never loaded into a config test (it would run the pusher's code there). */
    @Test
    void configTestsLoadNoModuleFromTheTree() {
        needSandbox();
        Parts.need("APACHE", Processes.which("apache2", "httpd").isPresent(), "apache2 is not installed");
        ApacheConfigValidator apache = new ApacheConfigValidator(sandbox);
        String elf = "\u007fELF pretend shared object";
        for (String directive : List.of("LoadModule evil_module evil.so", "LoadModule evil_module /etc/apache2/evil.so", "LoadFile evil.so",
                "  loadmodule evil_module \"../apache2/evil.so\"", "LoadModule evil_module ${MODS}/evil.so",
                "LoadModule evil_module /usr/lib/apache2/modules/../../../../etc/apache2/evil.so")) {
            List<Finding> f = Trees.run(apache, files("apache2.conf", apacheConf(directive + "\n"), "evil.so", elf));
            assertThat(f).as(directive).singleElement().extracting(Finding::message).asString()
                    .contains("modules are loaded only from the system", "the config test did not run");
            assertThat(f.get(0).line()).isEqualTo(6);
        }
        // the system's own modules load as on a host
        assertThat(Trees.run(apache, files("apache2.conf", apacheConf("LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so\n"))))
                .isEmpty();
        if (Processes.which("nginx").isPresent()) {
            NginxConfigValidator nginx = new NginxConfigValidator(sandbox);
            List<Finding> f = Trees.run(nginx, files("nginx.conf", "load_module /etc/nginx/evil.so;\nevents {}\n", "evil.so", elf));
            assertThat(f).singleElement().extracting(Finding::message).asString().contains("modules are loaded only from the system");
        }
    }

    @Test
    void nginxConfigTestSeesNothingOutsideTheTree() throws IOException {
        needSandbox();
        Parts.need("NGINX", Processes.which("nginx").isPresent(), "nginx is not installed");
        NginxConfigValidator nginx = new NginxConfigValidator(sandbox);
        String base = "events {}\nhttp {\n  server { listen 127.0.0.1:18084; }\n";
        for (String t : List.of("/etc/shadow", "/root/.bash_history", secrets.resolve("token").toString(), "../../../../etc/shadow")) {
            List<Finding> f = Trees.run(nginx, files("nginx.conf", base + "  include " + t + ";\n}\n"));
            assertThat(f).singleElement().satisfies(x -> {
                assertThat(x.line()).isEqualTo(4);
                assertThat(x.message()).contains("No such file");
            });
            assertNoSecret(Json.write(f));
            assertNoSecret(Json.write(Trees.run(nginx, files("nginx.conf", base + "  access_log " + t + ";\n}\n"))));
        }
    }

    private static String message(ApacheConfigValidator apache, String directive) {
        List<Finding> f = Trees.run(apache, files("apache2.conf", apacheConf(directive + "\n")));
        assertThat(f).singleElement();
        return f.get(0).message();
    }

    @Test
    void phpLintNeverExecutesAndSeesNoFile() throws IOException {
        needSandbox();
        Parts.need("PHP", Processes.which("php").isPresent(), "php is not installed (apt-get install php-cli)");
        try (PhpLintValidator lint = new PhpLintValidator(sandbox, PhpLintCache.inMemory(10))) {
            List<Finding> f = Trees.run(lint, files(
                    "a.php", "<?php\ninclude '/etc/shadow';\necho file_get_contents('" + secrets.resolve("token") + "');\n",
                    "b.php", "<?php\nrequire '" + secrets.resolve("rollguard.db") + "';\n$x = \n",
                    "c.php", "<?php\nfunction f() { return file_get_contents('/etc/shadow'); }\nf(;\n"));
            assertThat(f).extracting(Finding::path).containsExactlyInAnyOrder("b.php", "c.php");
            assertNoSecret(Json.write(f));
        }
    }

    @Test
    void commandValidatorsRunUnprivilegedWithoutNetworkAndSeeOnlyTheTree() throws Exception {
        needSandbox();
        try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(1);
            int port = listener.getLocalPort();
            var declared = CommandValidators.of(List.of(
                    spec("cat-secrets", "cat /etc/shadow /root/.bash_history " + secrets + "/rollguard.db " + secrets + "/token; ls -la / /etc; exit 1"),
                    spec("whoami", "echo \"uid=$(id -u) gid=$(id -g)\"; exit 1"),
                    spec("network", "(exec 3<>/dev/tcp/127.0.0.1/" + port + " && echo CONNECTED) 2>&1; "
                            + "(command -v curl >/dev/null && curl -sS -m 3 http://127.0.0.1:" + port + "/ && echo CONNECTED) 2>&1; exit 1"),
                    spec("write-tree", "echo x > $ROLLGUARD_TREE/a.conf 2>&1 && echo WROTE; echo x > /usr/evil 2>&1 && echo WROTE; exit 1")));
            var settings = new ValidationSettings(null, false, false, null, declared.byName().keySet().stream()
                    .map(ValidationSettings.CommandRef::named).toList(), null, null);
            List<Finding> f = Trees.run(new CommandValidator(sandbox, declared, false), files("a.conf", "x\n"), settings);
            String answer = Json.write(f);
            assertNoSecret(answer);
            assertThat(answer).contains("uid=65534 gid=65534").doesNotContain("CONNECTED").doesNotContain("WROTE");
            assertThat(f).filteredOn(x -> x.rule().equals("command:cat-secrets")).singleElement().extracting(Finding::message)
                    .asString().contains("No such file");
            try {
                listener.accept().close();
                throw new AssertionError("a validator reached a port on the host");
            } catch (SocketTimeoutException expected) {
                // nothing connected
            }
        }
    }

    private static ValidationSettings.CommandSpec spec(String name, String script) {
        return new ValidationSettings.CommandSpec(name, List.of("bash", "-c", script), 20, null);
    }

    @Test
    void aServiceAdminCannotMakeTheServerRunAProgram() {
        var declared = CommandValidators.of(List.of(new ValidationSettings.CommandSpec("no-todo", List.of("sh", "-c", "! grep -rn TODO ."), 10, null)));
        try (TestServer ts = new TestServer(declared)) {
            String inline = "{\"validation\": {\"commands\": [{\"name\": \"x\", \"command\": [\"sh\", \"-c\", \"id > /tmp/pwned\"]}]}}";
            TestServer.Response refused = ts.send("PUT", "/api/v1/services/svc", inline);
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.body()).contains("inline_validator_command");
            TestServer.Response unknown = ts.send("PUT", "/api/v1/services/svc", "{\"validation\": {\"commands\": [\"not-declared\"]}}");
            assertThat(unknown.status()).isEqualTo(400);
            assertThat(unknown.body()).contains("unknown_validator", "no-todo");
            assertThat(ts.send("PUT", "/api/v1/services/svc", "{\"validation\": {\"phpLint\": false, \"commands\": [\"no-todo\"]}}").status())
                    .isEqualTo(200);
            assertThat(ts.send("GET", "/api/v1/services/svc", null).body()).contains("\"commands\":[\"no-todo\"]");
            TestServer.Response checked = ts.send("POST", "/api/v1/services/svc/validate",
                    Json.write(Map.of("files", Map.of("a.conf", "TODO\n"))));
            assertThat(checked.body()).contains("command:no-todo", "\"path\":\"a.conf\"", "\"line\":1");
            assertThat(Path.of("/tmp/pwned")).doesNotExist();
        }
    }
}
