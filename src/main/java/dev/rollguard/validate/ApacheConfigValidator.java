package dev.rollguard.validate;

import dev.rollguard.Processes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Apache's own config test ({@code apache2 -t}) over the tree, with ServerRoot set to the tree, when
 * Apache is installed and the tree has a main config file (configured, or apache2.conf / httpd.conf).
 */
public final class ApacheConfigValidator implements Validator {
    public static final String RULE = "apache-configtest";
    private static final Pattern LINE = Pattern.compile("(?:Syntax error )?on line (\\d+) of ([^:]+):\\s*\\n?(.*)", Pattern.DOTALL);

    private final Optional<Path> apache;

    public ApacheConfigValidator() {
        this(Processes.which("apache2", "httpd"));
    }

    ApacheConfigValidator(Optional<Path> apache) {
        this.apache = apache;
    }

    @Override
    public String id() { return RULE; }

    @Override
    public List<Finding> validate(ValidationInput input) {
        String main = input.settings().apacheConfig();
        if (main == null) {
            main = input.tree().paths().stream()
                    .filter(p -> p.equals("apache2.conf") || p.equals("httpd.conf") || p.endsWith("/apache2.conf") || p.endsWith("/httpd.conf"))
                    .findFirst().orElse(null);
        }
        if (main == null) return List.of();
        if (!input.tree().contains(main)) {
            return List.of(Finding.error(RULE, main, 0, 0, "configured Apache main config '" + main + "' is not in the tree"));
        }
        if (apache.isEmpty()) {
            input.notice("apache-configtest skipped: no apache2/httpd binary on this machine");
            return List.of();
        }
        Path root = input.materialized();
        Path runDir = root.resolve(".rollguard-run");
        Path conf = root.resolve(main);
        Map<String, String> env = Map.of(
                "APACHE_RUN_USER", "www-data", "APACHE_RUN_GROUP", "www-data",
                "APACHE_PID_FILE", runDir.resolve("apache2.pid").toString(), "APACHE_RUN_DIR", runDir.toString(),
                "APACHE_LOCK_DIR", runDir.toString(), "APACHE_LOG_DIR", runDir.toString());
        Processes.Result r = Processes.run(List.of(apache.get().toString(), "-t", "-d", conf.getParent().toString(),
                "-f", conf.toString()), root, env, Duration.ofSeconds(30));
        if (r.ok()) return List.of();
        if (r.timedOut()) return List.of(Finding.error(RULE, main, 0, 0, "apache2 -t timed out"));
        String output = r.output().strip();
        Matcher m = LINE.matcher(output);
        if (m.find()) {
            String file = m.group(2).strip();
            String rel = file.startsWith(root + "/") ? file.substring(root.toString().length() + 1) : main;
            return List.of(Finding.error(RULE, rel, Integer.parseInt(m.group(1)), 0,
                    "apache2 -t: " + Text.firstLines(m.group(3), 2)));
        }
        return List.of(Finding.error(RULE, main, 0, 0, "apache2 -t: " + Text.firstLines(output.replace(root + "/", ""), 3)));
    }
}
