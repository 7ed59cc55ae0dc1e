package dev.rollguard.accuracy;

import dev.rollguard.Problem;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.validate.TreeExtras;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Reads a directory as shipped, binaries and links included, for the accuracy benchmark. Interim: the CLI's
 * {@code TreeLoader} refuses binaries and out-of-tree links until they are first-class in {@code ConfigTree};
 * then this class goes and {@link AccuracyBenchmark} loads with the CLI's loader (see {@code AccuracyBenchmark.load}).
 * Text files are read as text; binary files and links are recorded in {@link TreeExtras}; an in-tree link to a
 * file also appears as a text file with its target's content, which is what a process reading it sees.
 */
final class InterimLoader {
    private static final Limits UNBOUNDED = new Limits(Long.MAX_VALUE / 4, Integer.MAX_VALUE, Long.MAX_VALUE / 4);

    private InterimLoader() {}

    /** ConfigTree's own test for text that is not text (it refuses such a file). */
    private static boolean mostlyControls(String content) {
        int controls = 0;
        for (int i = 0; i < content.length(); i++) {
            char c = content.charAt(i);
            if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b) controls++;
        }
        return controls > 0 && controls * 100L > content.length();
    }

    static LoadedTree load(Path root) {
        Path base;
        try {
            base = root.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> text = new HashMap<>();
        Set<String> binaries = new HashSet<>();
        Map<String, String> links = new HashMap<>();
        Set<String> outside = new HashSet<>();
        try {
            Files.walkFileTree(base, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    String rel = base.relativize(file).toString();
                    if (attrs.isSymbolicLink()) {
                        Path target = file.getParent().resolve(Files.readSymbolicLink(file)).normalize();
                        Path real;
                        try {
                            real = target.toRealPath();
                        } catch (IOException dangling) {
                            outside.add(rel);
                            return FileVisitResult.CONTINUE;
                        }
                        if (!real.startsWith(base)) {
                            outside.add(rel);
                            return FileVisitResult.CONTINUE;
                        }
                        links.put(rel, base.relativize(real).toString());
                        if (Files.isRegularFile(real)) read(rel, real);
                        return FileVisitResult.CONTINUE;
                    }
                    if (attrs.isRegularFile()) read(rel, file);
                    return FileVisitResult.CONTINUE;
                }

                private void read(String rel, Path file) throws IOException {
                    try {
                        String content = ConfigTree.decodeText(rel, Files.readAllBytes(file));
                        if (mostlyControls(content)) binaries.add(rel);
                        else text.put(rel, content);
                    } catch (Problem p) {
                        binaries.add(rel);
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // a link to a file is read as that file; only links to directories stay links
        links.keySet().removeIf(text::containsKey);
        return new LoadedTree(ConfigTree.of(text, UNBOUNDED), new TreeExtras(binaries, links, outside));
    }
}
