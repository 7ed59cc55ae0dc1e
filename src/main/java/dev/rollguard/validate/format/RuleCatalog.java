package dev.rollguard.validate.format;

import java.util.Map;

/** One-line descriptions of the validators' rules, for formats that list rules apart from results (SARIF). */
final class RuleCatalog {
    private RuleCatalog() {}

    private static final Map<String, String> DESCRIPTIONS = Map.of(
            "missing-reference", "A PHP require/include, Apache Include, nginx include or path value names a file that is not in the tree.",
            "suspicious-token", "An extension or key one edit away from a far more frequent one in the tree: probably a typo.",
            "syntax", "A JSON, YAML, XML, INI or .properties file does not parse.",
            "php-lint", "php -l rejects a PHP file.",
            "apache-configtest", "apache2 -t rejects the tree's Apache configuration.");

    static String description(String rule) {
        String known = DESCRIPTIONS.get(rule);
        if (known != null) return known;
        if (rule.startsWith("command:")) return "The service's own validator '" + rule.substring("command:".length()) + "' reported a problem.";
        return "Rollguard validator rule " + rule + ".";
    }
}
