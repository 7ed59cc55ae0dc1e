package dev.rollguard.validate;

import dev.rollguard.Processes;
import dev.rollguard.config.Hashing;
import dev.rollguard.sandbox.Sandbox;
import dev.rollguard.sandbox.Turn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code php -l} semantics (parse and compile, never execute) on every new or changed PHP file, in a few long-lived
 * sandboxed PHP processes ({@link PhpLintPool}), with results cached by content hash ({@link PhpLintCache}). Skipped
 * with a notice where php is absent or the sandbox is unavailable: PHP never runs unsandboxed on a pushed file.
 */
public final class PhpLintValidator implements Validator, AutoCloseable {
    public static final String RULE = "php-lint";

    private final Sandbox sandbox;
    private final Optional<Path> php;
    private final PhpLintCache cache;
    private PhpLintPool pool;

    public PhpLintValidator(Sandbox sandbox, PhpLintCache cache) {
        this(sandbox, phpBinary(), cache);
    }

    /** The php this machine runs (its real path: /usr/bin/php is a link through /etc/alternatives). */
    static Optional<Path> phpBinary() {
        return Processes.which("php").map(PhpLintValidator::real);
    }

    PhpLintValidator(Sandbox sandbox, Optional<Path> php, PhpLintCache cache) {
        this.sandbox = sandbox;
        this.php = php;
        this.cache = cache;
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p;
        }
    }

    @Override
    public String id() { return RULE; }

    @Override
    public List<Finding> validate(ValidationInput input) {
        if (!input.settings().phpLint()) return List.of();
        List<String> files = input.changedPaths().stream()
                .filter(p -> MissingReferenceValidator.extension(p).equals("php")).toList();
        if (files.isEmpty()) return List.of();
        if (php.isEmpty()) {
            input.notice("php-lint skipped: no 'php' binary on this machine (" + files.size() + " PHP files not linted)");
            return List.of();
        }
        if (!sandbox.available()) {
            input.notice("php-lint skipped (sandbox-unavailable): " + sandbox.unavailableReason() + " (" + files.size()
                    + " PHP files not linted; PHP never runs unsandboxed)");
            return List.of();
        }
        Map<String, String> hashOf = new LinkedHashMap<>();
        Map<String, String> contents = new HashMap<>();
        for (String file : files) {
            String content = input.tree().content(file);
            String hash = Hashing.sha256(content);
            hashOf.put(file, hash);
            contents.put(hash, content);
        }
        Map<String, PhpLintCache.Outcome> outcomes = lint(contents, input.turn());
        // a file that fails now and whose parent version compiled: the edit broke it, so the error is placed at the
        // first changed line (an unclosed brace is reported where the compiler reached the end of the file)
        Map<String, String> parentHash = new HashMap<>();
        Map<String, String> parents = new HashMap<>();
        hashOf.forEach((file, hash) -> {
            PhpLintCache.Outcome o = outcomes.get(hash);
            String before = input.parent() == null || o == null || o.clean() ? null : input.parent().content(file);
            if (before == null) return;
            String h = Hashing.sha256(before);
            parentHash.put(file, h);
            parents.put(h, before);
        });
        Map<String, PhpLintCache.Outcome> parentOutcomes = parents.isEmpty() ? Map.of() : lint(parents, input.turn());
        List<Finding> out = new ArrayList<>();
        hashOf.forEach((file, hash) -> {
            PhpLintCache.Outcome o = outcomes.get(hash);
            if (o != null && !o.clean()) {
                // the driver compiled a scratch copy named by the hash: messages speak of the tree's path
                Finding f = Finding.error(RULE, file, o.line(), 0, o.message().replace("/scratch/" + hash + ".php", file));
                PhpLintCache.Outcome before = parentHash.containsKey(file) ? parentOutcomes.get(parentHash.get(file)) : null;
                if (before != null && before.clean()) {
                    f = SyntaxValidator.atChange(f, SyntaxValidator.changedLines(input.parent().content(file), input.tree().content(file)));
                }
                out.add(f);
            }
        });
        return out;
    }

    /** Outcomes by content hash: from the cache, else compiled by the pool (and cached unless it timed out or crashed). */
    private Map<String, PhpLintCache.Outcome> lint(Map<String, String> byHash, Turn turn) {
        PhpLintPool workers = pool();
        cache.useVersion(workers.version());
        Map<String, String> missing = new HashMap<>();
        Map<String, PhpLintCache.Outcome> outcomes = new HashMap<>();
        byHash.forEach((hash, content) -> cache.get(hash).ifPresentOrElse(o -> outcomes.put(hash, o), () -> missing.put(hash, content)));
        if (!missing.isEmpty()) {
            workers.lint(missing, turn).forEach((hash, linted) -> {
                if (linted.conclusive()) cache.put(hash, linted.outcome());
                outcomes.put(hash, linted.outcome());
            });
            cache.flush();
        }
        return outcomes;
    }

    private synchronized PhpLintPool pool() {
        if (pool == null) pool = new PhpLintPool(sandbox, php.get(), Runtime.getRuntime().availableProcessors());
        return pool;
    }

    @Override
    public synchronized void close() {
        if (pool != null) pool.close();
        pool = null;
    }
}
