package dev.rollguard.readme;

import dev.rollguard.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's by-hand tour, run verbatim: every command of its ```bash blocks, in one bash, in a fresh directory, against
 * a fresh server started by the tour's own first line, each command's exit status and output checked against what the
 * README says of it (the convention is in {@link ReadmeCommands} and in a comment in the README). Writes the transcript to
 * target/tour-output.txt (docs/tour-output.txt is a copy of one).
 */
class ReadmeTest {
    static final String TOUR = "### The same story by hand";
    /** One command may be a rollout to five hosts of a 2,000-file tree on a busy machine; none should take this long. */
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(5);
    private static final Path ROOT = Path.of(System.getProperty("user.dir"));

    private Path dir;
    private Process bash;

    @AfterEach
    void stop() throws Exception {
        if (bash != null) {
            // the tour's background jobs (server, simulated hosts) get SIGTERM first: they stop their own children
            List<ProcessHandle> jobs = bash.descendants().toList();
            Map<Long, String> names = new HashMap<>();
            for (ProcessHandle p : jobs) {
                String name = p.info().commandLine().orElse("pid " + p.pid()).replaceFirst("^.* dev\\.rollguard\\.cli\\.Main ", "rollguard ");
                names.put(p.pid(), name.substring(0, Math.min(name.length(), 100)));
            }
            jobs.forEach(ProcessHandle::destroy);
            long stopping = System.nanoTime();
            StringBuilder stops = new StringBuilder();
            for (ProcessHandle p : jobs) {
                try {
                    p.onExit().get(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    // still stopping on a busy machine: killed below, never left running
                }
                stops.append(String.format("%7.1f s  (gone after SIGTERM) %s%n", (System.nanoTime() - stopping) / 1e9, names.get(p.pid())));
            }
            Path timing = ROOT.resolve("target").resolve("tour-timing.txt");
            if (Files.exists(timing)) Files.writeString(timing, stops, StandardOpenOption.APPEND);
            bash.descendants().forEach(ProcessHandle::destroyForcibly);
            bash.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        // the tour leaves tens of thousands of files (a tree per host and release): unlinking them took minutes on a busy
        // machine, all of it this test's waiting; rm does it on its own (it ends by itself) while the next test runs
        if (dir != null) new ProcessBuilder("rm", "-rf", "--", dir.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    @Test
    void theConventionIsReadAsDocumented() {
        ReadmeCommands c = ReadmeCommands.of("""
                ### The same story by hand
                ```bash
                bin/rollguard server &   # starts it
                export T=rg_...  # printed (not run by the README test)
                cat > s.yaml <<'EOF'
                a: "b"  # not a comment of the command
                EOF
                # a comment
                bin/rollguard push wp -m "it's #1"   # exit 1: refused, with "did you mean '.php'" and "x"
                run a \\
                  b   # "y"
                ```
                ```
                not bash
                ```
                ## Next
                ```bash
                never
                ```
                """, TOUR);
        List<ReadmeCommands.Command> cmds = c.commands();
        assertThat(cmds).extracting(ReadmeCommands.Command::run).containsExactly(true, false, true, true, true);
        assertThat(cmds.get(0).background()).isTrue();
        assertThat(cmds.get(2).text()).endsWith("EOF").contains("a: \"b\"");
        assertThat(cmds.get(2).expectedOutput()).isEmpty();
        assertThat(cmds.get(3).expectedExit()).isEqualTo(1);
        assertThat(cmds.get(3).expectedOutput()).containsExactly("did you mean '.php'", "x");
        assertThat(cmds.get(4).text()).isEqualTo("run a \\\n  b   # \"y\"");
        assertThat(c.lines()).hasSize(6);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void theByHandTourRunsAsWritten() throws Exception {
        // the tour gets its tree with apt-get download: on a machine that is not Debian (or Ubuntu) the tour cannot run
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/apt-get")) && Files.isExecutable(Path.of("/usr/bin/dpkg-deb")),
                "the README tour needs apt-get and dpkg-deb (a Debian machine)");
        ReadmeCommands tour = ReadmeCommands.of(Files.readString(ROOT.resolve("README.md")), TOUR);
        dir = TestServer.tempDir();
        Files.createSymbolicLink(dir.resolve("bin"), ROOT.resolve("bin"));
        int port = TestServer.freePort();
        String url = "http://127.0.0.1:" + port;
        ProcessBuilder pb = new ProcessBuilder("bash", "--noprofile", "--norc").directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("ROLLGUARD_PORT", String.valueOf(port));
        env.put("ROLLGUARD_SERVER", url);
        env.put("ROLLGUARD_BOOTSTRAP_TOKEN", TestServer.ADMIN_TOKEN);
        env.put("ROLLGUARD_TOKEN", TestServer.ADMIN_TOKEN);
        // `mvn test` runs before `package` makes the jar: bin/rollguard runs the classes just compiled (see bin/rollguard)
        env.put("ROLLGUARD_CLASSPATH", System.getProperty("java.class.path"));
        env.remove("ROLLGUARD_AGENT_TOKEN");
        env.remove("ROLLGUARD_DB");
        bash = pb.start();
        LinkedBlockingQueue<String> output = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(bash.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) output.add(l);
            } catch (IOException e) {
                output.add("(reading bash's output failed: " + e + ")");
            }
        }, "readme-bash-output");
        reader.setDaemon(true);
        reader.start();
        Writer in = new OutputStreamWriter(bash.getOutputStream(), StandardCharsets.UTF_8);

        StringBuilder transcript = new StringBuilder();
        // where the tour's minutes go, command by command (read, never asserted on: a busy machine makes any figure vary)
        StringBuilder timing = new StringBuilder();
        Path transcriptFile = ROOT.resolve("target").resolve("tour-output.txt");
        int n = 0;
        try {
            for (ReadmeCommands.Line line : tour.lines()) {
                if (line instanceof ReadmeCommands.Comment c) {
                    transcript.append(c.text()).append('\n');
                    continue;
                }
                ReadmeCommands.Command cmd = (ReadmeCommands.Command) line;
                transcript.append("$ ").append(cmd.text()).append('\n');
                if (!cmd.run()) {
                    transcript.append("(not run by the README test: ROLLGUARD_TOKEN is set to the server's admin token)\n");
                    continue;
                }
                String marker = "__readme_test_done_" + (++n) + "__";
                // stdin of the tour's commands is /dev/null: bash reads this script from its own stdin
                in.write("{ " + cmd.text() + "\n} < /dev/null\necho \"" + marker + " $?\"\n");
                in.flush();
                long started = System.nanoTime();
                List<String> out = new ArrayList<>();
                int status = -1;
                long deadline = System.nanoTime() + COMMAND_TIMEOUT.toNanos();
                while (true) {
                    String l = output.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (l == null) throw new AssertionError("no end of `" + cmd.text() + "` within " + COMMAND_TIMEOUT + "; output: " + out);
                    if (l.startsWith(marker + " ")) {
                        status = Integer.parseInt(l.substring(marker.length() + 1).strip());
                        break;
                    }
                    out.add(l);
                    transcript.append(l).append('\n');
                }
                if (status != 0) transcript.append("[exit ").append(status).append("]\n");
                String text = String.join("\n", out);
                assertThat(status).as("exit status of `%s`; output:\n%s", cmd.text(), text).isEqualTo(cmd.expectedExit());
                for (String expected : cmd.expectedOutput()) {
                    assertThat(text).as("output of `%s`", cmd.text()).contains(expected);
                }
                if (cmd.background() && cmd.text().startsWith("bin/rollguard server")) awaitServer(url);
                timing.append(String.format("%7.1f s  %s%n", (System.nanoTime() - started) / 1e9, cmd.text().lines().findFirst().orElse("")));
            }
        } finally {
            Files.createDirectories(transcriptFile.getParent());
            Files.writeString(transcriptFile, transcript.toString());
            Files.writeString(transcriptFile.resolveSibling("tour-timing.txt"), timing.toString());
        }
        assertThat(n).as("commands run").isGreaterThan(15);
    }

    /** What a person does after the server's first line: wait for "listening" (a JVM start; more on a busy machine). */
    private static void awaitServer(String url) {
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() ->
                http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/health")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }
}
