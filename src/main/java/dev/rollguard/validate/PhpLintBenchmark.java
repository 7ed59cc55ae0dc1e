package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.sandbox.Job;
import dev.rollguard.sandbox.Sandbox;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code rollguard bench phplint [--dir D]}: PHP syntax checking of a real tree (default: Debian's WordPress), all
 * sandboxed: the pool of long-lived linters with a cold and a warm cache, against one {@code php -l} process per file
 * (what the linter did before; timed on a sample and scaled to the tree, since the whole takes minutes).
 */
public final class PhpLintBenchmark {
    private static final int SAMPLE = 60;

    private PhpLintBenchmark() {}

    public static int run(Path dir, PrintWriter out) {
        ConfigTree all = TreeLoader.scan(dir, new Limits(32L << 20, 200_000, 4L << 30)).tree();
        List<String> php = all.textPaths().stream().filter(p -> p.endsWith(".php")).toList();
        Map<String, String> phpFiles = new LinkedHashMap<>();
        for (String p : php) phpFiles.put(p, all.content(p));
        ConfigTree tree = ConfigTree.of(phpFiles, new Limits(32L << 20, 200_000, 4L << 30));
        try (Sandbox sandbox = Sandbox.detect()) {
            if (!sandbox.available()) {
                out.println(sandbox.describe());
                return 1;
            }
            out.println("PHP syntax (php -l semantics) of " + php.size() + " PHP files in " + dir + ", sandboxed; "
                    + Runtime.getRuntime().availableProcessors() + " cores");
            out.printf("%-46s %10s %10s%n", "mode (median of 3 runs)", "wall ms", "findings");
            List<long[]> cold = new ArrayList<>();
            List<long[]> warm = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                try (PhpLintValidator lint = new PhpLintValidator(sandbox, PhpLintCache.inMemory(100_000))) {
                    cold.add(time(lint, tree));
                    warm.add(time(lint, tree));
                }
            }
            row(out, "linter pool, cold cache (workers start)", cold);
            row(out, "linter pool, warm cache", warm);
            Path bin = PhpLintValidator.phpBinary().orElseThrow();
            long t = System.nanoTime();
            int n = Math.min(SAMPLE, php.size());
            try (ValidationInput in = new ValidationInput(tree, null, null)) {
                Path root = in.materializedFor(sandbox);
                for (String f : php.subList(0, n)) {
                    sandbox.run(new Job(List.of(bin.toString(), "-n", "-l", "/tree/" + f), List.of(new Job.ReadOnly(root, "/tree")), Map.of(),
                            "/", Job.Limits.DEFAULT.withTimeout(Duration.ofSeconds(30)), false));
                }
            }
            double perFile = (System.nanoTime() - t) / 1e6 / n;
            out.printf("%-46s %10.0f %10s%n", "one php -l per file (" + n + " timed, scaled)", perFile * php.size(), "-");
        }
        out.flush();
        return 0;
    }

    /** {wall ms, findings} of one validation. */
    private static long[] time(PhpLintValidator lint, ConfigTree tree) {
        long t = System.nanoTime();
        try (ValidationInput in = new ValidationInput(tree, null, null)) {
            int findings = lint.validate(in).size();
            return new long[] {(System.nanoTime() - t) / 1_000_000, findings};
        }
    }

    private static void row(PrintWriter out, String mode, List<long[]> runs) {
        List<long[]> sorted = runs.stream().sorted(Comparator.comparingLong(r -> r[0])).toList();
        long[] median = sorted.get(sorted.size() / 2);
        out.printf("%-46s %10d %10d%n", mode, median[0], median[1]);
    }
}
