package dev.rollguard.agent;

import dev.rollguard.Problem;
import dev.rollguard.config.Hashing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReleaseDirectoryTest {
    @TempDir
    Path dir;

    static Map<String, String> hashes(Map<String, String> files) {
        Map<String, String> h = new HashMap<>();
        files.forEach((p, c) -> h.put(p, Hashing.sha256(c)));
        return h;
    }

    @Test
    void stagesActivatesAndPrunes() throws Exception {
        ReleaseDirectory rd = new ReleaseDirectory(dir.resolve("t"), 2);
        assertThat(rd.currentVersion()).isNull();
        for (int v = 1; v <= 4; v++) {
            Map<String, String> files = Map.of("a/b.conf", "v" + v + "\n", "top.php", "<?php\n");
            Path staged = rd.stage(v, files, hashes(files));
            rd.activate(staged);
            rd.prune();
            Thread.sleep(20);
        }
        assertThat(rd.currentVersion()).isEqualTo(4);
        assertThat(Files.readString(rd.current().resolve("a/b.conf"))).isEqualTo("v4\n");
        try (var list = Files.list(rd.target().resolve("releases"))) {
            assertThat(list.count()).isEqualTo(2);
        }
        // a new agent on the same directory knows what runs
        assertThat(new ReleaseDirectory(dir.resolve("t"), 2).currentVersion()).isEqualTo(4);
    }

    @Test
    void refusesTraversalBadHashesAndKeepsTheLiveTree() throws Exception {
        ReleaseDirectory rd = new ReleaseDirectory(dir.resolve("t"), 3);
        Map<String, String> good = Map.of("x.conf", "ok\n");
        rd.activate(rd.stage(1, good, hashes(good)));

        Map<String, String> evil = Map.of("../../outside.txt", "pwned");
        assertThatThrownBy(() -> rd.stage(2, evil, hashes(evil))).isInstanceOf(Problem.class).hasMessageContaining("escapes");
        Map<String, String> abs = Map.of("/etc/cron.d/x", "pwned");
        assertThatThrownBy(() -> rd.stage(2, abs, hashes(abs))).isInstanceOf(Problem.class);
        Map<String, String> tampered = Map.of("x.conf", "changed in transit\n");
        assertThatThrownBy(() -> rd.stage(2, tampered, hashes(good))).isInstanceOf(Problem.class).hasMessageContaining("hash");

        assertThat(dir.resolve("outside.txt")).doesNotExist();
        assertThat(Files.exists(Path.of("/etc/cron.d/x"))).isFalse();
        assertThat(rd.currentVersion()).isEqualTo(1);
        try (var list = Files.list(rd.target().resolve("releases"))) {
            assertThat(list.map(p -> p.getFileName().toString())).allMatch(n -> n.startsWith("v1-"));
        }
    }

    @Test
    void leftoverStagingFromACrashIsRemovedOnStart() throws Exception {
        Path t = dir.resolve("t");
        ReleaseDirectory rd = new ReleaseDirectory(t, 3);
        Path half = t.resolve("releases/.staging-v9-deadbeef");
        Files.createDirectories(half);
        Files.writeString(half.resolve("partial.conf"), "hal");
        new ReleaseDirectory(t, 3);
        assertThat(half).doesNotExist();
        assertThat(rd.currentVersion()).isNull();
    }
}
