package dev.rollguard.validate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Lint results by content hash: a result depends only on the bytes and the PHP version, and most pushes change few
 * files. Owned by whoever wires the linter (one per server, one per CLI run), never a process-wide static. In memory it
 * is a bounded LRU; with a directory ({@code ~/.cache/rollguard/phplint} for the CLI) it is also one append-only file
 * per PHP version, read at start and appended to at {@link #flush()}.
 */
public final class PhpLintCache {
    /** What {@code php -l} says about one file: nothing (clean) or its one error. */
    public record Outcome(int line, String message) {
        static final Outcome CLEAN = new Outcome(0, null);

        public boolean clean() { return message == null; }
    }

    private static final int MAX_ENTRIES = 200_000;

    private final Map<String, Outcome> entries;
    private final Path dir;
    private final List<String> unsaved = new ArrayList<>();
    private Path file;

    private PhpLintCache(int max, Path dir) {
        this.entries = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Outcome> eldest) {
                return size() > max;
            }
        };
        this.dir = dir;
    }

    public static PhpLintCache inMemory(int max) {
        return new PhpLintCache(max, null);
    }

    /** Results kept across runs in {@code dir} (created when missing). */
    public static PhpLintCache onDisk(Path dir) {
        return new PhpLintCache(MAX_ENTRIES, dir);
    }

    /** The default place for the offline CLI: $XDG_CACHE_HOME/rollguard/phplint or ~/.cache/rollguard/phplint. */
    public static Path defaultDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("rollguard").resolve("phplint");
    }

    /** Results of another PHP version say nothing about this one: each version has its own file. */
    synchronized void useVersion(String phpVersion) {
        if (dir == null || file != null) return;
        file = dir.resolve("php-" + phpVersion.replaceAll("[^A-Za-z0-9.-]", "_") + ".tsv");
        if (!Files.isRegularFile(file)) return;
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() > MAX_ENTRIES) {
                Files.delete(file); // start afresh rather than grow without bound
                return;
            }
            for (String l : lines) {
                String[] p = l.split("\t", 3);
                if (p.length == 2 && p[1].equals("ok")) entries.put(p[0], Outcome.CLEAN);
                else if (p.length == 3 && p[1].matches("\\d{1,9}")) entries.put(p[0], new Outcome(Integer.parseInt(p[1]), p[2]));
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable cache is an empty cache
        }
    }

    synchronized Optional<Outcome> get(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    synchronized void put(String key, Outcome outcome) {
        entries.put(key, outcome);
        if (dir != null) unsaved.add(key + "\t" + (outcome.clean() ? "ok" : outcome.line() + "\t" + outcome.message()));
    }

    /** Appends what this run learnt to the cache file (whole lines, so concurrent runs at worst repeat an entry). */
    public synchronized void flush() {
        if (file == null || unsaved.isEmpty()) return;
        try {
            Files.createDirectories(dir);
            Files.write(file, unsaved, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            unsaved.clear();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the php-lint cache " + file + ": " + e.getMessage(), e);
        }
    }
}
