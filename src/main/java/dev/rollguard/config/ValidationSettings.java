package dev.rollguard.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.rollguard.Json;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Per-service validator configuration. Every field has a safe default so a service without any
 * settings still gets the built-in checks.
 *
 * @param deployPath     absolute directory the tree is deployed to on hosts (e.g. /var/www/html); absolute
 *                       references below it are checked against the tree
 * @param checkHostPaths check absolute references outside the tree against this machine's file system
 * @param phpLint        run {@code php -l} on changed PHP files when php is installed
 * @param apacheConfig   path in the tree of the main Apache config to test with {@code apache2 -t};
 *                       null means auto-detect apache2.conf / httpd.conf
 * @param commands       command validators: names the server's operator declared ({@code rollguard server --validators});
 *                       the offline CLI also runs commands defined inline
 * @param riskRules      rules that mark a change high-risk
 * @param ignoreTokens   tokens the suspicious-token check must never flag
 * @param daemons        daemons whose own config checker must run ({@code haproxy}, {@code bind} …); each is also run
 *                       when its main config is recognised in the tree, but only a declared one blocks when it cannot run
 */
public record ValidationSettings(String deployPath, boolean checkHostPaths, Boolean phpLint, String apacheConfig,
                                 List<CommandRef> commands, List<RiskRule> riskRules, List<String> ignoreTokens, List<DaemonRef> daemons) {

    public static final ValidationSettings DEFAULT = new ValidationSettings(null, false, true, null, List.of(), List.of(), List.of());

    public ValidationSettings(String deployPath, boolean checkHostPaths, Boolean phpLint, String apacheConfig, List<CommandRef> commands,
                              List<RiskRule> riskRules, List<String> ignoreTokens) {
        this(deployPath, checkHostPaths, phpLint, apacheConfig, commands, riskRules, ignoreTokens, List.of());
    }

    public ValidationSettings withDaemons(List<DaemonRef> d) {
        return new ValidationSettings(deployPath, checkHostPaths, phpLint, apacheConfig, commands, riskRules, ignoreTokens, d);
    }

    public ValidationSettings {
        phpLint = phpLint == null || phpLint;
        commands = commands == null ? List.of() : List.copyOf(commands);
        riskRules = riskRules == null ? List.of() : List.copyOf(riskRules);
        ignoreTokens = ignoreTokens == null ? List.of() : List.copyOf(ignoreTokens);
        daemons = daemons == null ? List.of() : List.copyOf(daemons);
        if (deployPath != null && !deployPath.startsWith("/")) {
            throw new IllegalArgumentException("deployPath must be absolute: " + deployPath);
        }
    }

    /**
     * A command validator as a spec lists it: a name ({@code no-debug}) the server's operator declared, or, for the
     * offline CLI only, a whole definition inline. The server refuses inline definitions: who may run a program on the
     * server is the operator's decision, not a service admin's.
     */
    public record CommandRef(String name, CommandSpec inline) {
        public CommandRef {
            if (inline != null) name = inline.name();
            if (name == null || name.isBlank()) throw new IllegalArgumentException("a validator command needs a name");
        }

        public static CommandRef named(String name) { return new CommandRef(name, null); }

        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        static CommandRef fromJson(Object value) {
            if (value instanceof String s) return named(s);
            return new CommandRef(null, Json.MAPPER.convertValue(value, CommandSpec.class));
        }

        @JsonValue
        Object toJson() { return inline == null ? name : inline; }
    }

    /**
     * A daemon checker the spec requires: its name ({@code haproxy}), or {@code {name: haproxy, config: lb/haproxy.cfg}}
     * when the main config is not where its name would find it.
     */
    public record DaemonRef(String name, String config) {
        public DaemonRef {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("a daemon checker needs a name");
        }

        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        static DaemonRef fromJson(Object value) {
            if (value instanceof String s) return new DaemonRef(s, null);
            if (value instanceof Map<?, ?> m) {
                Object name = m.get("name");
                Object config = m.get("config");
                return new DaemonRef(name == null ? null : name.toString(), config == null ? null : config.toString());
            }
            throw new IllegalArgumentException("validation.daemons: a name or {name, config}");
        }

        @JsonValue
        Object toJson() { return config == null ? name : Map.of("name", name, "config", config); }
    }

    /** An external validator: any executable; it receives the tree's directory as last argument and in ROLLGUARD_TREE. */
    public record CommandSpec(String name, List<String> command, Integer timeoutSeconds, FindingSeverity severity) {
        public CommandSpec {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("validator command needs a name");
            if (command == null || command.isEmpty()) throw new IllegalArgumentException("validator '" + name + "' has no command");
            command = List.copyOf(command);
            timeoutSeconds = timeoutSeconds == null ? 60 : timeoutSeconds;
            severity = severity == null ? FindingSeverity.ERROR : severity;
        }
    }

    /** A changed line in a file matching {@code pathGlob} whose text matches {@code lineRegex} makes the version high-risk. */
    public record RiskRule(String id, String pathGlob, String lineRegex, String reason) {
        public RiskRule {
            if (id == null || id.isBlank()) throw new IllegalArgumentException("risk rule needs an id");
            pathGlob = pathGlob == null ? "**" : pathGlob;
            lineRegex = lineRegex == null ? ".*" : lineRegex;
            if (lineRegex.length() > BoundedText.MAX_PATTERN_LENGTH) {
                throw new IllegalArgumentException("risk rule " + id + ": lineRegex is longer than " + BoundedText.MAX_PATTERN_LENGTH + " characters");
            }
            Pattern.compile(lineRegex);
        }
    }
}
