package dev.rollguard.agent;

import dev.rollguard.Problem;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Hashing;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeEntry;
import dev.rollguard.config.TreeWire;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.WireEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReleaseDirectoryTest {
    @TempDir
    Path dir;

    /** A tree as the agent receives it: entries with their hashes, verified on the way in. */
    static ConfigTree received(Map<String, String> files, Map<String, String> claimedHashes) {
        List<WireEntry> entries = new ArrayList<>();
        files.forEach((p, c) -> entries.add(new WireEntry(p, claimedHashes.get(p), null,
                Base64.getEncoder().encodeToString(c.getBytes(StandardCharsets.UTF_8)), null)));
        String treeHash = ConfigTree.of(files, Limits.DEFAULT).treeHash();
        return TreeWire.verifiedTree(new AgentProtocol.Bundle("s", 1, treeHash, entries));
    }

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
            Path staged = rd.stage(v, ConfigTree.of(files));
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
        rd.activate(rd.stage(1, received(good, hashes(good))));

        Map<String, String> evil = Map.of("../../outside.txt", "pwned");
        assertThatThrownBy(() -> rd.stage(2, received(evil, hashes(evil)))).isInstanceOf(Problem.class).hasMessageContaining("escapes");
        Map<String, String> abs = Map.of("/etc/cron.d/x", "pwned");
        assertThatThrownBy(() -> rd.stage(2, received(abs, hashes(abs)))).isInstanceOf(Problem.class);
        Map<String, String> tampered = Map.of("x.conf", "changed in transit\n");
        assertThatThrownBy(() -> rd.stage(2, received(tampered, hashes(good)))).isInstanceOf(Problem.class).hasMessageContaining("sha256");

        assertThat(dir.resolve("outside.txt")).doesNotExist();
        assertThat(Files.exists(Path.of("/etc/cron.d/x"))).isFalse();
        assertThat(rd.currentVersion()).isEqualTo(1);
        try (var list = Files.list(rd.target().resolve("releases"))) {
            assertThat(list.map(p -> p.getFileName().toString())).allMatch(n -> n.startsWith("v1-"));
        }
    }

    @Test
    void writesBinaryFilesByteExactAndLinksAsLinksNeverFollowed() throws Exception {
        ReleaseDirectory rd = new ReleaseDirectory(dir.resolve("t"), 3);
        byte[] gif = {'G', 'I', 'F', '8', '9', 'a', 0, 1, (byte) 0xff, (byte) 0xfe, 0};
        Path outside = Files.createDirectories(dir.resolve("etc"));
        Map<String, TreeEntry> entries = new LinkedHashMap<>();
        entries.put("img/resize.gif", TreeEntry.file(gif));
        entries.put("index.php", TreeEntry.text("<?php\n"));
        entries.put("wp-config.php", TreeEntry.link("wp-config.php", outside.resolve("wp-config.php").toString()));
        entries.put("home.php", TreeEntry.link("home.php", "index.php"));
        entries.put("js", TreeEntry.link("js", "../../javascript"));
        Path staged = rd.stage(1, ConfigTree.ofEntries(entries, Limits.DEFAULT));
        rd.activate(staged);
        Path live = rd.current();
        assertThat(Files.readAllBytes(live.resolve("img/resize.gif"))).isEqualTo(gif);
        assertThat(Files.isSymbolicLink(live.resolve("wp-config.php"))).isTrue();
        assertThat(Files.readSymbolicLink(live.resolve("wp-config.php"))).isEqualTo(outside.resolve("wp-config.php"));
        assertThat(Files.readSymbolicLink(live.resolve("home.php")).toString()).isEqualTo("index.php");
        assertThat(Files.readSymbolicLink(live.resolve("js")).toString()).isEqualTo("../../javascript");
        // the link was created, not written through: nothing appeared where it points
        assertThat(outside.resolve("wp-config.php")).doesNotExist();
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
