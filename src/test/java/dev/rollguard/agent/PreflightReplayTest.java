package dev.rollguard.agent;

import dev.rollguard.Parts;
import dev.rollguard.Processes;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.AgentProtocol.HostFailure;
import dev.rollguard.protocol.AgentProtocol.PreflightSpec;
import dev.rollguard.protocol.AgentProtocol.ReplayBlock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Preflight's replay with PHP's own web server as both shadows: the current tree (control) and the staged one
 * (candidate), each a real PHP site; requests as a host's access log would have given them.
 */
class PreflightReplayTest {
    private static final String PHP_SERVER = "exec php -d display_errors=0 -S 127.0.0.1:$ROLLGUARD_PREFLIGHT_PORT -t \"$ROLLGUARD_STAGED_DIR\"";
    /** The front page works in both trees, so the probes (GET /) pass and only the replay can tell. */
    private static final List<ReplaySet.Request> TRAFFIC = List.of(req("/"), req("/login.php"), req("/feed.php?x=1"), req("/nonce.php"),
            req("/gone.php"));

    @TempDir
    Path dir;
    private Path current;
    private Path staged;

    private static ReplaySet.Request req(String target) { return new ReplaySet.Request("GET", null, target); }

    @BeforeEach
    void sites() throws Exception {
        Parts.need("PHP", Processes.which("php").isPresent(), "php is not installed (apt-get install php-cli)");
        current = dir.resolve("current");
        staged = dir.resolve("staged");
        for (Path d : List.of(current, staged)) {
            Files.createDirectories(d);
            Files.writeString(d.resolve("index.php"), "<?php echo '<h1>Home</h1>';\n");
            Files.writeString(d.resolve("login.php"), "<?php require __DIR__ . '/lib.php'; echo login_form();\n");
            Files.writeString(d.resolve("lib.php"), "<?php function login_form() { return '<form>Log in</form>'; }\n");
            Files.writeString(d.resolve("feed.php"), "<?php header('Content-Type: application/rss+xml'); echo '<rss>feed</rss>';\n");
            Files.writeString(d.resolve("nonce.php"), "<?php echo '<input name=\"_wpnonce\" value=\"' . bin2hex(random_bytes(5)) . '\"> <p>Log in</p> '"
                    + " . microtime(true);\n");
        }
    }

    @AfterEach
    void noShadowLeft() {
        long left = ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(dir.toString())).count();
        assertThat(left).as("shadow processes left behind").isZero();
        TreeLoader.deleteRecursively(dir);
    }

    private Optional<HostFailure> check(ReplayBlock block) throws InterruptedException {
        PreflightSpec spec = new PreflightSpec(null, 20, new AgentProtocol.Replay(true, 0, 30, 2, block, null));
        return Preflight.check(new ShadowCommand(PHP_SERVER, dir), spec, staged, Map.of(), current, TRAFFIC);
    }

    @Test
    void anIncludeTypoOnAPageOnlyLoginLoadsIsCaughtByReplayNotByTheProbe() throws Exception {
        Files.writeString(staged.resolve("login.php"), "<?php require __DIR__ . '/lib.phpp'; echo login_form();\n");
        assertThat(Preflight.check(new ShadowCommand(PHP_SERVER, dir), PreflightSpec.DEFAULT, staged, Map.of()))
                .as("GET / alone sees nothing").isEmpty();
        assertThat(check(ReplayBlock.STATUS)).hasValueSatisfying(f -> {
            assertThat(f.stage()).isEqualTo(AgentProtocol.Stage.PREFLIGHT);
            assertThat(f.replayed()).extracting(AgentProtocol.ProbeAnswer::path).containsExactly("/login.php");
            assertThat(f.probe()).isEqualTo(f.replayed().get(0));
            assertThat(f.probe().status()).isEqualTo(500);
            assertThat(f.probe().expectedStatus()).isEqualTo(200);
            assertThat(f.message()).contains("/login.php 500 (was 200)");
        });
    }

    @Test
    void aHealthyChangeAndANoisyPagePassEvenComparingBodies() throws Exception {
        // a comment changed: same pages; nonce.php differs on every answer, the control's own noise
        Files.writeString(staged.resolve("lib.php"), "<?php // reviewed\nfunction login_form() { return '<form>Log in</form>'; }\n");
        assertThat(check(ReplayBlock.BODY)).isEmpty();
        assertThat(check(ReplayBlock.STATUS)).isEmpty();
    }

    @Test
    void aChangedBodyBlocksOnlyWhenBodiesAreCompared() throws Exception {
        Files.writeString(staged.resolve("feed.php"), "<?php header('Content-Type: application/rss+xml'); echo '';\n");
        assertThat(check(ReplayBlock.STATUS)).isEmpty();
        assertThat(check(ReplayBlock.BODY)).hasValueSatisfying(f ->
                assertThat(f.replayed()).extracting(AgentProtocol.ProbeAnswer::path).containsExactly("/feed.php?x=1"));
    }

    @Test
    void skippedPathsAreNotReplayed() throws Exception {
        Files.writeString(staged.resolve("login.php"), "<?php http_response_code(500);\n");
        PreflightSpec spec = new PreflightSpec(null, 20, new AgentProtocol.Replay(true, 0, 30, 2, null, List.of("/login")));
        assertThat(Preflight.check(new ShadowCommand(PHP_SERVER, dir), spec, staged, Map.of(), current, TRAFFIC)).isEmpty();
    }
}
