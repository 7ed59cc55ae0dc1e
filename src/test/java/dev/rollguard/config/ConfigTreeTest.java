package dev.rollguard.config;

import dev.rollguard.Problem;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigTreeTest {
    private static String code(Runnable r) {
        try {
            r.run();
            return "none";
        } catch (Problem p) {
            return p.code();
        }
    }

    @Test
    void normalizesPaths() {
        ConfigTree t = ConfigTree.of(Map.of("./a//b/./c.conf", "x", "d\\e.ini", "y"));
        assertThat(t.paths()).containsExactly("a/b/c.conf", "d/e.ini");
        assertThat(t.isDirectory("a")).isTrue();
        assertThat(t.isDirectory("a/b")).isTrue();
        assertThat(t.isDirectory("a/b/c.conf")).isFalse();
        assertThat(t.isDirectory("x")).isFalse();
    }

    @Test
    void refusesTraversalAndAbsolutePaths() {
        assertThat(code(() -> ConfigTree.of(Map.of("../../etc/passwd", "x")))).isEqualTo("path_traversal");
        assertThat(code(() -> ConfigTree.of(Map.of("a/../../b", "x")))).isEqualTo("path_traversal");
        assertThat(code(() -> ConfigTree.of(Map.of("/etc/passwd", "x")))).isEqualTo("path_traversal");
        assertThat(code(() -> ConfigTree.of(Map.of("C:\\windows", "x")))).isEqualTo("path_traversal");
        assertThat(code(() -> ConfigTree.of(Map.of("a\u0000b", "x")))).isEqualTo("invalid_path");
        assertThat(code(() -> ConfigTree.of(Map.of("", "x")))).isEqualTo("invalid_path");
    }

    @Test
    void keepsBinaryContentAsBytesAndOutOfTheTextView() {
        byte[] gif = {(byte) 0xff, (byte) 0xfe, 0x41};
        ConfigTree t = ConfigTree.ofEntries(Map.of("x.gif", TreeEntry.file(gif), "a.bin", TreeEntry.text("ab\u0000cd"),
                "ok.txt", TreeEntry.file("héllo".getBytes(StandardCharsets.UTF_8))), Limits.DEFAULT);
        assertThat(t.paths()).containsExactly("a.bin", "ok.txt", "x.gif");
        assertThat(t.textPaths()).containsExactly("ok.txt");
        assertThat(t.files()).containsOnlyKeys("ok.txt");
        assertThat(t.content("ok.txt")).isEqualTo("héllo");
        assertThat(t.content("x.gif")).isNull();
        assertThat(((TreeEntry.File) t.entry("x.gif")).bytes()).isEqualTo(gif);
        assertThat(t.hash("x.gif")).isEqualTo(Hashing.sha256(gif));
        assertThat(t.contains("x.gif")).isTrue();
        assertThat(t.totalBytes()).isEqualTo(3 + 5 + 6);
    }

    @Test
    void resolvesLinksInsideTheTreeOnly() {
        Map<String, TreeEntry> e = new HashMap<>();
        e.put("wp-includes/plugin.php", TreeEntry.text("<?php\n"));
        e.put("alias.php", TreeEntry.link("alias.php", "wp-includes/plugin.php"));
        e.put("inc", TreeEntry.link("inc", "./wp-includes/"));
        e.put("wp-includes/ID3/getid3.php", TreeEntry.link("x", "../../../php/getid3/getid3.php"));
        e.put(".htaccess", TreeEntry.link("x", "/etc/wordpress/htaccess"));
        e.put("dangling", TreeEntry.link("x", "nope/there"));
        e.put("loop-a", TreeEntry.link("x", "loop-b"));
        e.put("loop-b", TreeEntry.link("x", "loop-a"));
        e.put("self", TreeEntry.link("x", "self/x"));
        ConfigTree t = ConfigTree.ofEntries(e, Limits.DEFAULT);
        assertThat(t.resolve("alias.php")).isEqualTo(new ConfigTree.Resolution.Found("wp-includes/plugin.php", false));
        assertThat(t.resolve("inc/plugin.php")).isEqualTo(new ConfigTree.Resolution.Found("wp-includes/plugin.php", false));
        assertThat(t.resolve("inc")).isEqualTo(new ConfigTree.Resolution.Found("wp-includes", true));
        assertThat(t.resolve("inc/../alias.php")).isEqualTo(new ConfigTree.Resolution.Found("wp-includes/plugin.php", false));
        assertThat(t.resolve("wp-includes/ID3/getid3.php")).isInstanceOf(ConfigTree.Resolution.Outside.class);
        assertThat(t.resolve(".htaccess")).isEqualTo(new ConfigTree.Resolution.Outside(".htaccess", "/etc/wordpress/htaccess"));
        assertThat(t.resolve("dangling")).isEqualTo(new ConfigTree.Resolution.Missing("nope"));
        assertThat(t.resolve("loop-a")).isInstanceOf(ConfigTree.Resolution.Cycle.class);
        assertThat(t.resolve("self")).isInstanceOf(ConfigTree.Resolution.Cycle.class);
        assertThat(t.resolve("alias.php/x")).isInstanceOf(ConfigTree.Resolution.Missing.class);
        // reference checks: through an in-tree link a file is there; beyond an out-of-tree link nothing can be said
        assertThat(t.contains("inc/plugin.php")).isTrue();
        assertThat(t.isDirectory("inc")).isTrue();
        assertThat(t.contains("inc/nope.php")).isFalse();
        assertThat(t.contains("dangling")).isTrue();
        assertThat(t.contains("dangling/x.php")).isFalse();
        // links are not text: text validators never read them
        assertThat(t.textPaths()).containsExactly("wp-includes/plugin.php");
        assertThat(t.content("alias.php")).isNull();
    }

    @Test
    void aFileAndALinkWithTheSameBytesAreDifferentTrees() {
        ConfigTree file = ConfigTree.ofEntries(Map.of("a", TreeEntry.text("b")), Limits.DEFAULT);
        ConfigTree link = ConfigTree.ofEntries(Map.of("a", TreeEntry.link("a", "b")), Limits.DEFAULT);
        assertThat(file.hash("a")).isEqualTo(link.hash("a"));
        assertThat(file.treeHash()).isNotEqualTo(link.treeHash());
        assertThat(code(() -> TreeEntry.link("a", ""))).isEqualTo("invalid_link");
        assertThat(code(() -> ConfigTree.ofEntries(Map.of("a", TreeEntry.link("a", "/x"), "a/b", TreeEntry.text("")), Limits.DEFAULT)))
                .isEqualTo("invalid_path");
    }

    @Test
    void enforcesLimits() {
        Limits small = new Limits(10, 2, 15);
        assertThat(code(() -> ConfigTree.of(Map.of("a", "01234567890"), small))).isEqualTo("file_too_large");
        assertThat(code(() -> ConfigTree.of(Map.of("a", "1", "b", "2", "c", "3"), small))).isEqualTo("too_many_files");
        assertThat(code(() -> ConfigTree.of(Map.of("a", "0123456789", "b", "0123456789"), small))).isEqualTo("tree_too_large");
    }

    @Test
    void refusesAmbiguousTrees() {
        Map<String, String> dup = new HashMap<>();
        dup.put("a/b", "1");
        dup.put("a//b", "2");
        assertThat(code(() -> ConfigTree.of(dup))).isEqualTo("duplicate_path");
        assertThat(code(() -> ConfigTree.of(Map.of("a", "1", "a/b", "2")))).isEqualTo("invalid_path");
    }

    @Test
    void treeHashDependsOnPathsAndContent() {
        String h1 = ConfigTree.of(Map.of("a", "1")).treeHash();
        assertThat(ConfigTree.of(Map.of("a", "1")).treeHash()).isEqualTo(h1);
        assertThat(ConfigTree.of(Map.of("a", "2")).treeHash()).isNotEqualTo(h1);
        assertThat(ConfigTree.of(Map.of("b", "1")).treeHash()).isNotEqualTo(h1);
    }
}
