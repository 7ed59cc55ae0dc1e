package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.sandbox.Sandbox;
import dev.rollguard.sandbox.Slots;
import dev.rollguard.sandbox.Turn;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs every validator over a tree (concurrently) and unites their findings into one report. What the built-in
 * rules derive from each file is kept across its runs ({@link FileCache}).
 */
public final class Validation implements AutoCloseable {
    /**
     * Where validators run: their own threads, never the JVM's common pool (two threads on a two-core machine, which slow
     * config tests held for every other service). External runs wait in the sandbox's {@link Slots}, so these threads
     * mostly wait; when all are taken, the validating request's own thread runs the validator.
     */
    private static final ExecutorService RUNNERS = new ThreadPoolExecutor(0, 64, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "validator");
        t.setDaemon(true);
        return t;
    }, new ThreadPoolExecutor.CallerRunsPolicy());

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
                new DaemonConfigValidator(sandbox), new CommandValidator(sandbox, declared, inlineCommands), new LinkValidator(),
                new ExposedSecretValidator()));
    }

    /** Only the checks that need nothing but the JVM: what the benchmark measures. */
    public static Validation builtIn() {
        return new Validation(builtInValidators());
    }

    /** The checks that need nothing but the JVM, for a validation that adds external ones of its choice. */
    public static List<Validator> builtInValidators() {
        return List.of(new MissingReferenceValidator(), new SuspiciousTokenValidator(), new SyntaxValidator(), new LinkValidator(),
                new ExposedSecretValidator());
    }

    /** Refuses validation settings some validator cannot honour (400, with the validator's code). */
    public void check(ValidationSettings settings) {
        for (Validator v : validators) v.check(settings);
    }

    public ValidationReport run(ConfigTree tree, ConfigTree parent, ValidationSettings settings) {
        return run(tree, parent, settings, Turn.unbounded("local"));
    }

    /**
     * Runs every validator, the external ones' sandboxed runs under {@code turn} (waiting their turn with other
     * services', stopped when it is over: then {@link Turn.Over} is thrown and nothing is reported).
     */
    public ValidationReport run(ConfigTree tree, ConfigTree parent, ValidationSettings settings, Turn turn) {
        long start = System.nanoTime();
        try (ValidationInput input = new ValidationInput(tree, parent, settings, cache, turn)) {
            List<CompletableFuture<List<Finding>>> futures = new ArrayList<>();
            for (Validator v : validators) {
                futures.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return v.validate(input);
                    } catch (Turn.Over | Slots.Refusal e) {
                        // the turn's other runs stop too: the whole validation is refused, none of it reported
                        turn.cancel("another of its checks was stopped");
                        throw e;
                    } catch (RuntimeException e) {
                        // a broken validator must block the release, not silently pass it
                        return List.of(Finding.error("internal:" + v.id(), null, 0, 0,
                                "validator " + v.id() + " failed: " + e));
                    }
                }, RUNNERS));
            }
            CompletableFuture<List<String>> risk = CompletableFuture.supplyAsync(() -> RiskRules.reasons(input), RUNNERS);
            // all of them end (a stopped turn ends the others within a moment) before the tree they read is deleted
            List<CompletableFuture<?>> all = new ArrayList<>(futures);
            all.add(risk);
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
            List<Finding> findings = new ArrayList<>();
            try {
                futures.forEach(f -> findings.addAll(f.join()));
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                throw e;
            }
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
