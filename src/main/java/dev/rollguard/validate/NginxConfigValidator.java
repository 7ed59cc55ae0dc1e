package dev.rollguard.validate;

import dev.rollguard.Processes;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.sandbox.Job;
import dev.rollguard.sandbox.Sandbox;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * nginx's own config test ({@code nginx -t}) over a tree holding {@code nginx.conf}, in the sandbox like
 * {@link ApacheConfigValidator}: the tree is nginx's prefix, mounted read only at deployPath or /etc/nginx (so Debian's
 * absolute {@code include /etc/nginx/conf.d/*.conf} and its absolute sites-enabled links mean the tree), logs and
 * temp paths (/var/log/nginx, /var/lib/nginx, /run) in scratch file systems.
 */
public final class NginxConfigValidator implements Validator {
    public static final String RULE = "nginx-configtest";
    private static final Pattern EMERG = Pattern.compile("\\[emerg][^\\n]*");
    private static final Pattern PRIVILEGED_BIND = Pattern.compile("\\[emerg][^\\n]*bind\\(\\) to \\S+ failed \\(13: Permission denied\\)");
    private static final Pattern LOCATED = Pattern.compile("\\[(?:emerg|alert|crit)] (?<msg>.*?) in (?<file>/[^\\s:]+):(?<line>\\d+)");

    private final Sandbox sandbox;
    private final Optional<Path> nginx;

    public NginxConfigValidator(Sandbox sandbox) {
        this(sandbox, Processes.which("nginx").map(ApacheConfigValidator::real));
    }

    NginxConfigValidator(Sandbox sandbox, Optional<Path> nginx) {
        this.sandbox = sandbox;
        this.nginx = nginx;
    }

    @Override
    public String id() { return RULE; }

    @Override
    public List<Finding> validate(ValidationInput input) {
        String main = input.tree().paths().stream().filter(p -> p.equals("nginx.conf") || p.endsWith("/nginx.conf"))
                .min((a, b) -> Integer.compare(a.length(), b.length())).orElse(null);
        if (main == null) return List.of();
        if (nginx.isEmpty()) {
            input.notice("nginx-configtest skipped: no nginx binary on this machine");
            return List.of();
        }
        if (!sandbox.available()) {
            input.notice("nginx-configtest skipped (sandbox-unavailable): " + sandbox.unavailableReason());
            return List.of();
        }
        List<Finding> found = test(input, input.tree(), main);
        if (found.isEmpty() || input.parent() == null || !input.parent().contains(main)) return found;
        // a push: where the parent passed, the edit broke it, and a brace left open shows at the file's end; each error in
        // a changed file goes to that file's first changed line, where nginx stopped kept in the message
        try (ValidationInput before = new ValidationInput(input.parent(), null, input.settings())) {
            if (!test(before, input.parent(), main).isEmpty()) return found;
        }
        return found.stream().map(f -> {
            String was = f.path() == null ? null : input.parent().content(f.path());
            String now = f.path() == null ? null : input.tree().content(f.path());
            return was == null || now == null || was.equals(now) ? f : SyntaxValidator.atChange(f, SyntaxValidator.changedLines(was, now));
        }).toList();
    }

    private List<Finding> test(ValidationInput input, ConfigTree tree, String main) {
        String mount = ConfigTest.mountPoint(main, input.settings().deployPath(), "/etc/nginx");
        int slash = main.lastIndexOf('/');
        String prefix = slash < 0 ? mount : mount + "/" + main.substring(0, slash);
        List<Finding> foreign = ConfigTest.foreignModules(RULE, tree, ConfigTest.NGINX_LOADS, prefix);
        if (!foreign.isEmpty()) return foreign;
        List<Job.Mount> mounts = new ArrayList<>(ConfigTest.treeMounts(input.materializedFor(sandbox), tree, mount));
        mounts.addAll(List.of(new Job.Tmpfs("/run", 8L << 20), new Job.Link("/run", "/var/run"),
                new Job.Tmpfs("/var/log", 8L << 20), new Job.Dir("/var/log/nginx"),
                new Job.Tmpfs("/var/lib", 8L << 20), new Job.Dir("/var/lib/nginx"), new Job.Tmpfs("/tmp", 16L << 20)));
        Job job = new Job(List.of(nginx.get().toString(), "-t", "-q", "-e", "stderr", "-p", prefix + "/", "-c", mount + "/" + main),
                mounts, Map.of("LANG", "C"), "/", Job.Limits.DEFAULT.withTimeout(Duration.ofSeconds(30)), false);
        Sandbox.Result r = sandbox.run(job, input.turn());
        if (r.ok() || onlyPrivilegedPorts(r.output())) return List.of();
        if (r.timedOut()) return List.of(Finding.error(RULE, main, 0, 0, "nginx -t timed out after 30 s"));
        return ConfigTest.findings(RULE, "nginx -t", r.output(), mount, tree, main, LOCATED);
    }

    /**
     * nginx -t binds its listen sockets after the whole configuration was read; in the sandbox's empty network namespace
     * an unprivileged user cannot bind ports below 1024 (the host's nginx, started as root, will). That alone is no finding.
     */
    static boolean onlyPrivilegedPorts(String output) {
        long emerg = EMERG.matcher(output).results().count();
        return emerg > 0 && emerg == PRIVILEGED_BIND.matcher(output).results().count();
    }
}
