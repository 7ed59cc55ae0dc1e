package dev.rollguard.agent;

import dev.rollguard.Parts;
import dev.rollguard.Processes;
import dev.rollguard.TestServer;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.AgentProtocol.HostFailure;
import dev.rollguard.protocol.AgentProtocol.PreflightSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The generic preflight hook with PHP's own web server as the shadow instance of a staged tree. */
class PreflightTest {
    private static final String PHP_SERVER = "exec php -d display_errors=0 -S 127.0.0.1:$ROLLGUARD_PREFLIGHT_PORT -t \"$ROLLGUARD_STAGED_DIR\"";
    private Path dir;

    @BeforeEach
    void needPhp() throws Exception {
        Parts.need("PHP", Processes.which("php").isPresent(), "php is not installed (apt-get install php-cli)");
        dir = TestServer.tempDir();
        Files.createDirectories(dir.resolve("staged"));
    }

    @AfterEach
    void cleanUp() {
        if (dir == null) return; // set-up skipped: nothing was started
        long left = ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(dir.toString())).count();
        assertThat(left).as("shadow processes left behind").isZero();
        TreeLoader.deleteRecursively(dir);
    }

    private Optional<HostFailure> check(PreflightSpec spec) throws InterruptedException {
        return Preflight.check(new ShadowCommand(PHP_SERVER, dir), spec, dir.resolve("staged"), Map.of());
    }

    private static PreflightSpec probes(String body, String... paths) {
        return new PreflightSpec(List.of(paths).stream().map(p -> new AgentProtocol.Probe(p, 200, body)).toList(), 20);
    }

    @Test
    void aHealthyTreePasses() throws Exception {
        Files.writeString(dir.resolve("staged/index.php"), "<?php echo 'Hello from WordPress';\n");
        assertThat(check(probes("Hello", "/", "/index.php"))).isEmpty();
    }

    @Test
    void theTypoFailsWithItsStatus() throws Exception {
        Files.writeString(dir.resolve("staged/index.php"), "<?php\nrequire __DIR__ . '/wp-includes/class-wp-hook.phpp';\n");
        Optional<HostFailure> failure = check(PreflightSpec.DEFAULT);
        assertThat(failure).hasValueSatisfying(f -> {
            assertThat(f.stage()).isEqualTo(AgentProtocol.Stage.PREFLIGHT);
            assertThat(f.probe()).isEqualTo(new AgentProtocol.ProbeAnswer("/", 500, 200, ""));
            assertThat(f.message()).contains("GET / answered 500 (expected 200); empty body");
        });
    }

    @Test
    void aFailureShowsTheFirstLinesOfTheBody() throws Exception {
        Files.writeString(dir.resolve("staged/index.php"), "<?php http_response_code(503);\nforeach (range(1, 9) as $i) echo \"line $i\\n\";\n");
        assertThat(check(PreflightSpec.DEFAULT)).hasValueSatisfying(f -> {
            assertThat(f.probe().status()).isEqualTo(503);
            assertThat(f.probe().bodyExcerpt()).isEqualTo("line 1 | line 2 | line 3 | line 4 | line 5");
            assertThat(f.message()).contains("GET / answered 503 (expected 200); body: line 1 | line 2 | line 3 | line 4 | line 5")
                    .doesNotContain("line 6");
        });
    }

    @Test
    void aBodyThatDoesNotMatchFails() throws Exception {
        Files.writeString(dir.resolve("staged/index.php"), "<?php echo 'Error establishing a database connection';\n");
        assertThat(check(probes("Hello", "/"))).hasValueSatisfying(f -> {
            assertThat(f.probe().status()).isEqualTo(200);
            assertThat(f.message()).contains("does not match /Hello/", "Error establishing a database connection");
        });
    }

    @Test
    void aShadowThatDiesAtOnceFailsWithItsOutput() throws Exception {
        Optional<HostFailure> failure = Preflight.check(new ShadowCommand("echo 'AH00526: Syntax error'; exit 3", dir), PreflightSpec.DEFAULT,
                dir.resolve("staged"), Map.of());
        assertThat(failure).hasValueSatisfying(f -> {
            assertThat(f.probe()).as("no probe answered").isNull();
            assertThat(f.message()).contains("exited before answering", "exit 3", "AH00526");
        });
    }

    @Test
    void aShadowThatNeverListensTimesOut() throws Exception {
        Optional<HostFailure> failure = Preflight.check(new ShadowCommand("exec sleep 60", dir), new PreflightSpec(null, 1),
                dir.resolve("staged"), Map.of());
        assertThat(failure).hasValueSatisfying(f -> assertThat(f.message()).contains("did not listen"));
    }
}
