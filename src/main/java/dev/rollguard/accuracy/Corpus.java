package dev.rollguard.accuracy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The accuracy benchmark's corpus: real Debian packages unpacked by {@code .ci/corpus} into
 * {@code ~/.cache/rollguard/corpus/<package>} (or {@code ROLLGUARD_CORPUS_DIR}); which tree of each package is
 * validated, and whether the package is held out from tuning, is listed in {@code corpus.txt} next to this class.
 */
public final class Corpus {
    /** One package: its name, the directory inside it that is validated, and whether it is held out. */
    public record Entry(String pkg, String treeDir, boolean heldOut) {}

    private Corpus() {}

    public static Path directory() {
        String env = System.getenv("ROLLGUARD_CORPUS_DIR");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache/rollguard/corpus");
    }

    /** A daemon's config tree: the package, its tree, the checker that reads it, and whether it is held out. */
    public record DaemonEntry(String pkg, String treeDir, String checker, boolean heldOut) {
        public Entry entry() { return new Entry(pkg, treeDir, heldOut); }
    }

    public static List<Entry> manifest() {
        return rows("corpus.txt").stream().map(f -> new Entry(f[0], f[1], f.length > 2 && f[2].equals("held-out"))).toList();
    }

    /** The daemon corpus ({@code daemons.txt}). */
    public static List<DaemonEntry> daemons() {
        return rows("daemons.txt").stream().map(f -> new DaemonEntry(f[0], f[1], f[2], f.length > 3 && f[3].equals("held-out"))).toList();
    }

    private static List<String[]> rows(String resource) {
        List<String[]> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                Objects.requireNonNull(Corpus.class.getResourceAsStream(resource)), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#")) continue;
                out.add(t.split("\\s+"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The directory validated for a package, or null when the package has not been downloaded. */
    public static Path tree(Path corpus, Entry e) {
        Path pkg = corpus.resolve(e.pkg());
        Path tree = pkg.resolve(e.treeDir());
        return Files.isRegularFile(pkg.resolve(".complete")) && Files.isDirectory(tree) ? tree : null;
    }
}
