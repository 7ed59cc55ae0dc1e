package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.sandbox.Sandbox;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Runs every validator over a tree (concurrently) and unites their findings into one report. What the built-in
 * rules derive from each file is kept across its runs ({@link FileCache}).
 */
public final class Validation implements AutoCloseable {
    private final List<Validator> validators;
    private final FileCache cache = new FileCache();

    public Validation(List<Validator> validators) {
        this.validators = List.copyOf(validators);
    }

    /**
     * The built-in rules plus the external programs, each run in {@code sandbox}: PHP lint (results kept in {@code phpCache}),
     * Apache's and nginx's config tests, the daemons' own checkers ({@link DaemonChecker}), and command validators ({@code declared} by the operator; with
     * {@code inlineCommands}, also those a spec defines itself: the offline CLI's case).
     */
    public static Validation standard(Sandbox sandbox, CommandValidators declared, boolean inlineCommands, PhpLintCache phpCache) {
        return new Validation(List.of(new MissingReferenceValidator(), new SuspiciousTokenValidator(), new SyntaxValidator(),
                new PhpLintValidator(sandbox, phpCache), new ApacheConfigValidator(sandbox), new NginxConfigValidator(sandbox),
                new DaemonConfigValidator(sandbox), new CommandValidator(sandbox, declared, inlineCommands), new LinkValidator()));
    }

    /** Only the checks that need nothing but the JVM: what the benchmark measures. */
    public static Validation builtIn() {
        return new Validation(builtInValidators());
    }

    /** The checks that need nothing but the JVM, for a validation that adds external ones of its choice. */
    public static List<Validator> builtInValidators() {
        return List.of(new MissingReferenceValidator(), new SuspiciousTokenValidator(), new SyntaxValidator(), new LinkValidator());
    }

    /** Refuses validation settings some validator cannot honour (400, with the validator's code). */
    public void check(ValidationSettings settings) {
        for (Validator v : validators) v.check(settings);
    }

    public ValidationReport run(ConfigTree tree, ConfigTree parent, ValidationSettings settings) {
        long start = System.nanoTime();
        try (ValidationInput input = new ValidationInput(tree, parent, settings, cache)) {
            List<CompletableFuture<List<Finding>>> futures = new ArrayList<>();
            for (Validator v : validators) {
                futures.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return v.validate(input);
                    } catch (RuntimeException e) {
                        // a broken validator must block the release, not silently pass it
                        return List.of(Finding.error("internal:" + v.id(), null, 0, 0,
                                "validator " + v.id() + " failed: " + e));
                    }
                }));
            }
            CompletableFuture<List<String>> risk = CompletableFuture.supplyAsync(() -> RiskRules.reasons(input));
            List<Finding> findings = new ArrayList<>();
            futures.forEach(f -> findings.addAll(f.join()));
            List<String> reasons = risk.join();
            return new ValidationReport(findings, input.notices(), !reasons.isEmpty(), reasons,
                    (System.nanoTime() - start) / 1_000_000);
        }
    }

    /** Stops what validators keep running between validations (the PHP linter's processes). */
    @Override
    public void close() {
        for (Validator v : validators) {
            if (v instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    // closing is best effort: the processes die with their sandbox anyway
                }
            }
        }
    }
}
