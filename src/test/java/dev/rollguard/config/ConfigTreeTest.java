package dev.rollguard.config;

import dev.rollguard.Problem;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void refusesBinaryContent() {
        assertThat(code(() -> ConfigTree.of(Map.of("a.bin", "ab\u0000cd")))).isEqualTo("binary_file");
        assertThatThrownBy(() -> ConfigTree.decodeText("x.gif", new byte[] {(byte) 0xff, (byte) 0xfe, 0x41}))
                .isInstanceOf(Problem.class).hasMessageContaining("x.gif is not UTF-8 text");
        assertThat(ConfigTree.decodeText("ok.txt", "héllo".getBytes(StandardCharsets.UTF_8))).isEqualTo("héllo");
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
