package dev.rollguard.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.rollguard.Problem;
import dev.rollguard.rollout.RolloutPolicy;
import dev.rollguard.validate.ValidationSettings;

import java.util.HashSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * How a service is managed: its environments in promotion order, its validators and its rollout policy. Stored as JSON;
 * unknown fields are ignored so older servers can read newer specs.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ServiceSpec(String description, List<String> environments, ValidationSettings validation, RolloutPolicy rollout) {
    public static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9._-]{0,99}$");
    public static final List<String> DEFAULT_ENVIRONMENTS = List.of("testing", "production");

    public ServiceSpec {
        environments = environments == null || environments.isEmpty() ? DEFAULT_ENVIRONMENTS : List.copyOf(environments);
        validation = validation == null ? ValidationSettings.DEFAULT : validation;
        rollout = rollout == null ? RolloutPolicy.defaults() : rollout;
        if (new HashSet<>(environments).size() != environments.size()) {
            throw Problem.badRequest("invalid_spec", "environment names must be unique: " + environments);
        }
        for (String e : environments) {
            if (!NAME.matcher(e).matches()) throw Problem.badRequest("invalid_spec", "invalid environment name: '" + e + "'");
        }
    }

    public static ServiceSpec defaults() {
        return new ServiceSpec(null, null, null, null);
    }

    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw Problem.badRequest("invalid_name", "invalid service name '" + name
                    + "': use 1-100 characters a-z, 0-9, '.', '_', '-', starting with a letter or digit");
        }
        return name;
    }
}
