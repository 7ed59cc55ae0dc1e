package dev.rollguard.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.config.Hashing;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Real agent processes, killed with SIGKILL while they write a large tree: the live tree is always whole. */
class AgentProcessTest {
    private final List<Process> processes = new ArrayList<>();
    private TestServer ts;
    private Path dir;

    @AfterEach
    void cleanUp() {
        processes.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
        if (ts != null) ts.close();
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    private Process agent(Path target, String preApply) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "dev.rollguard.cli.Main", "agent", "--server", ts.url(), "--token", TestServer.ADMIN_TOKEN, "-s", "wp",
                "-e", "testing", "--host-id", "h1", "--target", target.toString(), "--report-interval-ms", "200"));
        if (preApply != null) cmd.addAll(List.of("--pre-apply", preApply));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
        processes.add(p);
        return p;
    }

    private static Map<String, String> bigTree(int version, int files) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < files; i++) m.put("d" + (i % 50) + "/f" + i + ".conf", "version " + version + " file " + i + "\n" + "x".repeat(2000) + "\n");
        return m;
    }

    /** The live tree is either absent or exactly one version's complete tree. */
    private static void assertWhole(Path target, Map<Integer, Map<String, String>> versions) throws Exception {
        Path current = target.resolve("current");
        if (!Files.exists(current)) return;
        String name = current.toRealPath().getFileName().toString();
        int v = Integer.parseInt(name.substring(1, name.indexOf('-')));
        Map<String, String> expected = versions.get(v);
        var tree = TreeLoader.load(current, new Limits(1 << 24, 100_000, 1L << 32));
        assertThat(tree.size()).as("files in live v" + v).isEqualTo(expected.size());
        for (var e : expected.entrySet()) assertThat(tree.hash(e.getKey())).isEqualTo(Hashing.sha256(e.getValue()));
    }

    @Test
    void killedMidApplyNeverLeavesAHalfWrittenTree() throws Exception {
        dir = TestServer.tempDir();
        ts = new TestServer(dir.resolve("server"), 0, new Limits(1 << 20, 20_000, 256L << 20), 512L << 20);
        Files.createDirectories(dir.resolve("server"));
        // The test kills the only host six times in a row, and each new agent JVM needs seconds to start on a busy machine:
        // the host is silent for longer than the default 10 s heartbeat guard, which would (rightly) roll the release back.
        // This test is about the live tree staying whole, so the guard is given 5 minutes.
        assertThat(ts.send("PUT", "/api/v1/services/wp",
                "{\"rollout\": {\"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}], \"heartbeatTimeoutSeconds\": 300}}").status())
                .isEqualTo(200);
        Map<Integer, Map<String, String>> versions = new LinkedHashMap<>();
        for (int v = 1; v <= 2; v++) {
            versions.put(v, bigTree(v, 4000));
            TestServer.Response r = ts.send("POST", "/api/v1/services/wp/versions",
                    Json.write(Map.of("files", versions.get(v), "message", "v" + v)));
            assertThat(r.status()).as(r.body()).isEqualTo(201);
        }
        Path target = dir.resolve("target");
        Random rnd = new Random(7);
        Process first = agent(target, null);
        await().atMost(TestServer.PATIENCE).until(() -> ts.send("GET", "/api/v1/services/wp/environments/testing/hosts", null)
                .body().contains("\"h1\""));
        assertThat(ts.send("POST", "/api/v1/services/wp/environments/testing/release", "{\"version\": 1}").status()).isEqualTo(201);
        await().atMost(TestServer.PATIENCE).until(() -> Files.exists(target.resolve("current")));
        assertWhole(target, versions);
        // the live tree appears a moment before the host's report completes the v1 rollout
        await().atMost(TestServer.PATIENCE).until(() -> ts.send("GET", "/api/v1/services/wp/rollouts", null).body()
                .contains("\"state\":\"COMPLETE\""));
        TestServer.Response release = ts.send("POST", "/api/v1/services/wp/environments/testing/release",
                "{\"version\": 2, \"breakGlass\": \"test\"}");
        assertThat(release.status()).as(release.body()).isEqualTo(201);

        int kills = 0;
        Process p = first;
        for (int round = 0; round < 6; round++) {
            Thread.sleep(150 + rnd.nextInt(900));
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            kills++;
            assertWhole(target, versions);
            p = agent(target, null);
        }
        Process last = p;
        await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(200))
                .failFast("the v2 rollout ended without v2 applied", () -> {
                    String rollouts = ts.send("GET", "/api/v1/services/wp/rollouts", null).body();
                    if (rollouts.contains("\"state\":\"RUNNING\"") || hostApplied(2)) return false;
                    throw new AssertionError("the v2 rollout ended without v2 applied: " + rollouts);
                })
                .until(() -> hostApplied(2));
        assertWhole(target, versions);
        try (var list = Files.list(target.resolve("releases"))) {
            assertThat(list.map(x -> x.getFileName().toString())).noneMatch(n -> n.startsWith(".staging-"));
        }
        assertThat(kills).isEqualTo(6);
        assertThat(last.isAlive()).isTrue();
    }

    private boolean hostApplied(int version) throws Exception {
        JsonNode hosts = Json.MAPPER.readTree(ts.send("GET", "/api/v1/services/wp/environments/testing/hosts", null).body());
        return hosts.get(0).path("appliedVersion").asInt() == version;
    }
}
