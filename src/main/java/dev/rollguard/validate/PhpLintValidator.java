package dev.rollguard.validate;

import dev.rollguard.Processes;
import dev.rollguard.config.Hashing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code php -l} on every changed PHP file, when php is installed. Results are cached by content hash,
 * because a lint result depends on nothing else and most pushes change few files.
 */
public final class PhpLintValidator implements Validator {
    public static final String RULE = "php-lint";
    private static final Pattern ERROR = Pattern.compile("(?:PHP )?(Parse error|Fatal error):\\s*(.*?) in (.+?) on line (\\d+)");
    private static final Map<String, List<String>> CACHE = Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<String>> eldest) {
            return size() > 50_000;
        }
    });

    private final Optional<Path> php;

    public PhpLintValidator() {
        this(Processes.which("php"));
    }

    PhpLintValidator(Optional<Path> php) {
        this.php = php;
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
        Path root = null;
        List<Finding> out = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors() * 2));
        try {
            Map<String, Future<List<String>>> pending = new LinkedHashMap<>();
            for (String file : files) {
                String key = Hashing.sha256(input.tree().content(file));
                List<String> cached = CACHE.get(key);
                if (cached != null) {
                    addFindings(out, file, cached);
                    continue;
                }
                if (root == null) root = input.materialized();
                Path dir = root;
                pending.put(file, pool.submit(() -> {
                    Processes.Result r = Processes.run(List.of(php.get().toString(), "-n", "-l", "-d", "display_errors=stderr",
                            dir.resolve(file).toString()), dir, Map.of(), Duration.ofSeconds(30));
                    List<String> errors = new ArrayList<>();
                    if (r.timedOut()) errors.add("0\tphp -l timed out");
                    else if (r.exitCode() != 0) {
                        Matcher m = ERROR.matcher(r.output());
                        if (m.find()) errors.add(m.group(4) + "\t" + m.group(1) + ": " + m.group(2));
                        else errors.add("0\t" + Text.firstLines(r.output(), 3));
                    }
                    if (!r.timedOut()) CACHE.put(key, List.copyOf(errors));
                    return errors;
                }));
            }
            for (var e : pending.entrySet()) {
                try {
                    addFindings(out, e.getKey(), e.getValue().get());
                } catch (ExecutionException ex) {
                    out.add(Finding.error(RULE, e.getKey(), 0, 0, "php -l failed: " + ex.getCause()));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    private static void addFindings(List<Finding> out, String file, List<String> errors) {
        for (String e : errors) {
            int tab = e.indexOf('\t');
            out.add(Finding.error(RULE, file, Integer.parseInt(e.substring(0, tab)), 0, e.substring(tab + 1)));
        }
    }
}
