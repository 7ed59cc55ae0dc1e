package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.ValidationSettings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class Trees {
    private Trees() {}

    static Map<String, String> files(String... pathsAndContents) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pathsAndContents.length; i += 2) m.put(pathsAndContents[i], pathsAndContents[i + 1]);
        return m;
    }

    static List<Finding> run(Validator v, Map<String, String> files) {
        return run(v, files, ValidationSettings.DEFAULT);
    }

    static List<Finding> run(Validator v, Map<String, String> files, ValidationSettings settings) {
        try (ValidationInput in = new ValidationInput(ConfigTree.of(files), null, settings)) {
            return v.validate(in);
        }
    }
}
