package dev.rollguard.net;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 25 item 1: every launcher starts its JVM so that an {@code OutOfMemoryError} ends the process (a server whose
 * Jetty threads died of it used to live on without answering, and systemd never restarted it). Each launcher is run
 * with Java options that put this class's {@link #main} first: it runs out of memory in a thread that swallows the
 * error, as Jetty's do, and would then go on.
 */
class OutOfMemoryExitTest {
    /** Fills a small heap in a thread that catches the error; prints "survived" if the process lives on. */
    public static void main(String[] args) throws InterruptedException {
        Thread hog = new Thread(() -> {
            List<long[]> held = new ArrayList<>();
            try {
                while (true) held.add(new long[1 << 20]);
            } catch (OutOfMemoryError swallowed) {
                held.clear();
            }
        });
        hog.start();
        hog.join();
        System.out.println("survived");
    }

    private static void assertEndsOnOutOfMemory(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("JAVA_OPTS", OPTIONS);
        pb.environment().put("ROLLGUARD_JAVA_OPTS", OPTIONS);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(out).as(String.join(" ", command)).contains("Terminating due to java.lang.OutOfMemoryError").doesNotContain("survived");
        assertThat(p.exitValue()).isNotZero();
    }

    private static final String OPTIONS = "-Xmx32m -cp " + System.getProperty("java.class.path") + " " + OutOfMemoryExitTest.class.getName();

    @Test
    void theDevelopmentLauncher() throws Exception {
        assertEndsOnOutOfMemory(List.of("bin/rollguard", "--version"), Map.of("ROLLGUARD_CLASSPATH", "/nonexistent"));
    }

    @Test
    void thePackagedServerAndAgent() throws Exception {
        Map<String, String> env = Map.of("ROLLGUARD_SERVER", "http://127.0.0.1:1", "ROLLGUARD_SERVICE", "wp", "ROLLGUARD_ENV", "production",
                "ROLLGUARD_AGENT_TOKEN", "rg_x");
        assertEndsOnOutOfMemory(List.of("sh", "src/deb/server/rollguard-server"), env);
        assertEndsOnOutOfMemory(List.of("sh", "src/deb/agent/rollguard-agent"), env);
    }
}
