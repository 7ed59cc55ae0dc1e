package dev.rollguard.cli;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.sim.WordPressLikeTree;
import dev.rollguard.validate.Validation;
import dev.rollguard.validate.ValidationReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bench", description = "Benchmarks; prints a table. Suites: validate")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "Suite: validate")
    String suite;

    @Option(names = "--files", split = ",", defaultValue = "1000,10000", description = "Tree sizes (default ${DEFAULT-VALUE})")
    List<Integer> sizes;

    @Option(names = "--runs", defaultValue = "5", description = "Measured runs per size after 2 warm-up runs")
    int runs;

    @Override
    public Integer call() {
        if (!suite.equals("validate")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "unknown suite '" + suite + "' (known: validate)");
        }
        var out = spec.commandLine().getOut();
        out.println("validation of a generated WordPress-like tree with one '.phpp' typo (built-in validators; "
                + Runtime.getRuntime().availableProcessors() + " cores)");
        out.printf("%8s %10s %9s %9s %9s %9s%n", "files", "MiB", "min ms", "median", "max ms", "findings");
        Validation validation = Validation.builtIn();
        for (int size : sizes) {
            Map<String, String> files = WordPressLikeTree.withTypo(WordPressLikeTree.generate(size, 42));
            ConfigTree tree = ConfigTree.of(files, new Limits(Long.MAX_VALUE / 4, Integer.MAX_VALUE, Long.MAX_VALUE / 4));
            List<Long> times = new ArrayList<>();
            ValidationReport last = null;
            for (int i = 0; i < runs + 2; i++) {
                long t = System.nanoTime();
                last = validation.run(tree, null, null);
                if (i >= 2) times.add((System.nanoTime() - t) / 1_000_000);
            }
            Collections.sort(times);
            out.printf("%8d %10.1f %9d %9d %9d %9d%n", tree.size(), tree.totalBytes() / 1048576.0, times.get(0),
                    times.get(times.size() / 2), times.get(times.size() - 1), last.findings().size());
        }
        out.flush();
        return 0;
    }
}
