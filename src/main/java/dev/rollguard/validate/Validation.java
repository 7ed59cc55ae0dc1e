package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Runs every validator over a tree (concurrently) and unites their findings into one report. */
public final class Validation {
    private final List<Validator> validators;

    public Validation(List<Validator> validators) {
        this.validators = List.copyOf(validators);
    }

    public static Validation standard() {
        return new Validation(List.of(new MissingReferenceValidator(), new SuspiciousTokenValidator(), new SyntaxValidator(),
                new PhpLintValidator(), new ApacheConfigValidator(), new CommandValidator(), new LinkValidator()));
    }

    /** Only the checks that need nothing but the JVM: what the benchmark measures. */
    public static Validation builtIn() {
        return new Validation(List.of(new MissingReferenceValidator(), new SuspiciousTokenValidator(), new SyntaxValidator(),
                new LinkValidator()));
    }

    public ValidationReport run(ConfigTree tree, ConfigTree parent, ValidationSettings settings) {
        long start = System.nanoTime();
        try (ValidationInput input = new ValidationInput(tree, parent, settings)) {
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
}
