package dev.rollguard.validate;

import dev.rollguard.Processes;
import dev.rollguard.sandbox.Job;
import dev.rollguard.sandbox.Sandbox;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Apache's own config test ({@code apache2 -t}) over the tree, in the sandbox: the tree is the ServerRoot, mounted
 * read only where the config expects it (deployPath, else /etc/apache2), with Debian's {@code envvars} semantics
 * (APACHE_RUN_DIR, APACHE_LOCK_DIR, APACHE_LOG_DIR and APACHE_PID_FILE in scratch directories; the run user and group
 * as the tree's envvars says, else www-data). Nothing of the host's /etc is visible, so an {@code Include /etc/shadow}
 * fails exactly as an Include of a path that does not exist.
 */
public final class ApacheConfigValidator implements Validator {
    public static final String RULE = "apache-configtest";
    private static final Pattern LOCATED = Pattern.compile(
            "Syntax error on line (?<line>\\d+) of (?<file>[^:\\n]+):\\s*\\n?(?<msg>[^\\n]*)");
    private static final Pattern RUN_AS = Pattern.compile(
            "(?m)^\\s*(?:export\\s+)?(APACHE_RUN_USER|APACHE_RUN_GROUP)=[\"']?([A-Za-z_][A-Za-z0-9_.-]{0,31})[\"']?\\s*$");

    private final Sandbox sandbox;
    private final Optional<Path> apache;

    public ApacheConfigValidator(Sandbox sandbox) {
        this(sandbox, Processes.which("apache2", "httpd").map(ApacheConfigValidator::real));
    }

    ApacheConfigValidator(Sandbox sandbox, Optional<Path> apache) {
        this.sandbox = sandbox;
        this.apache = apache;
    }

    private static List<Finding> skipped(ValidationInput input, boolean declared, String why) {
        if (declared) {
            return List.of(Finding.error(RULE, input.settings().apacheConfig(), 0, 0, "the Apache config test the spec declares "
                    + "(apacheConfig) was not run (" + why + "); a declared check that cannot run blocks the version"));
        }
        input.notice("apache-configtest skipped (" + why + ")");
        return List.of();
    }

    static Path real(Path p) {
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
        String main = input.settings().apacheConfig();
        if (main == null) {
            main = input.tree().paths().stream()
                    .filter(p -> p.equals("apache2.conf") || p.equals("httpd.conf") || p.endsWith("/apache2.conf") || p.endsWith("/httpd.conf"))
                    .min((a, b) -> Integer.compare(a.length(), b.length())).orElse(null);
        }
        if (main == null) return List.of();
        if (!input.tree().contains(main)) {
            return List.of(Finding.error(RULE, main, 0, 0, "configured Apache main config '" + main + "' is not in the tree"));
        }
        // a spec that names its main config declared the config test: if it cannot run, that blocks; found by itself, a notice
        boolean declared = input.settings().apacheConfig() != null;
        if (apache.isEmpty()) {
            return skipped(input, declared, "no apache2/httpd binary on this machine");
        }
        if (!sandbox.available()) {
            return skipped(input, declared, "sandbox-unavailable: " + sandbox.unavailableReason());
        }
        String mount = ConfigTest.mountPoint(main, input.settings().deployPath(), "/etc/apache2");
        int slash = main.lastIndexOf('/');
        String dir = slash < 0 ? "" : main.substring(0, slash);
        String serverRoot = dir.isEmpty() ? mount : mount + "/" + dir;
        List<Finding> foreign = ConfigTest.foreignModules(RULE, input.tree(), ConfigTest.APACHE_LOADS, serverRoot);
        if (!foreign.isEmpty()) return foreign;
        Map<String, String> env = new LinkedHashMap<>(runAs(input.tree().contains(dir.isEmpty() ? "envvars" : dir + "/envvars")
                ? input.tree().content(dir.isEmpty() ? "envvars" : dir + "/envvars") : ""));
        env.putAll(Map.of("APACHE_RUN_DIR", "/run/apache2", "APACHE_PID_FILE", "/run/apache2/apache2.pid",
                "APACHE_LOCK_DIR", "/run/lock/apache2", "APACHE_LOG_DIR", "/var/log/apache2", "APACHE_CONFDIR", serverRoot, "LANG", "C"));
        List<Job.Mount> mounts = new ArrayList<>(ConfigTest.treeMounts(input.materializedFor(sandbox), input.tree(), mount));
        mounts.addAll(List.of(new Job.Tmpfs("/run", 8L << 20), new Job.Dir("/run/apache2"), new Job.Dir("/run/lock"), new Job.Dir("/run/lock/apache2"),
                new Job.Link("/run", "/var/run"), new Job.Link("/run/lock", "/var/lock"),
                new Job.Tmpfs("/var/log", 8L << 20), new Job.Dir("/var/log/apache2"), new Job.Tmpfs("/tmp", 16L << 20)));
        Job job = new Job(List.of(apache.get().toString(), "-t", "-d", serverRoot, "-f", mount + "/" + main), mounts, env, "/",
                Job.Limits.DEFAULT.withTimeout(Duration.ofSeconds(30)), false);
        Sandbox.Result r = sandbox.run(job, input.turn());
        if (r.ok()) return List.of();
        if (r.timedOut()) return List.of(Finding.error(RULE, main, 0, 0, "apache2 -t timed out after 30 s"));
        return ConfigTest.findings(RULE, "apache2 -t", r.output(), mount, input.tree(), main, LOCATED);
    }

    /** The run user and group, as Debian's envvars sets them (only plain assignments are read; nothing is executed). */
    static Map<String, String> runAs(String envvars) {
        Map<String, String> env = new LinkedHashMap<>(Map.of("APACHE_RUN_USER", "www-data", "APACHE_RUN_GROUP", "www-data"));
        Matcher m = RUN_AS.matcher(envvars);
        while (m.find()) env.put(m.group(1), m.group(2));
        return env;
    }
}
