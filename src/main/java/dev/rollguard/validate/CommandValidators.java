package dev.rollguard.validate;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.rollguard.Json;
import dev.rollguard.config.ValidationSettings;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The command validators the server's operator declared ({@code rollguard server --validators FILE}); service specs
 * name them ({@code validation.commands: [no-debug]}). The file:
 * <pre>
 * validators:
 *   - name: no-debug
 *     command: ["sh", "-c", "! grep -rn \"WP_DEBUG', true\" ."]
 *     timeoutSeconds: 30
 *     severity: ERROR
 * </pre>
 */
public record CommandValidators(Map<String, ValidationSettings.CommandSpec> byName) {
    public CommandValidators {
        byName = Map.copyOf(byName);
    }

    public static CommandValidators none() {
        return new CommandValidators(Map.of());
    }

    public static CommandValidators of(List<ValidationSettings.CommandSpec> specs) {
        Map<String, ValidationSettings.CommandSpec> m = new LinkedHashMap<>();
        for (ValidationSettings.CommandSpec s : specs) {
            if (m.put(s.name(), s) != null) throw new IllegalArgumentException("validator '" + s.name() + "' is declared twice");
        }
        return new CommandValidators(m);
    }

    @JsonIgnoreProperties(ignoreUnknown = false)
    record File(List<ValidationSettings.CommandSpec> validators) {}

    /** Reads the operator's file (YAML or JSON); a malformed file stops the server from starting. */
    public static CommandValidators load(Path file) {
        try {
            File f = Json.YAML.readValue(file.toFile(), File.class);
            return of(f == null || f.validators() == null ? List.of() : f.validators());
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read validators file " + file + ": " + e.getMessage().split("\n")[0], e);
        }
    }

    public Optional<ValidationSettings.CommandSpec> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }
}
