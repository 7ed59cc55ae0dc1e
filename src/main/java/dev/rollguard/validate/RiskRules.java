package dev.rollguard.validate;

import dev.rollguard.config.BoundedText;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.TreeDiff;
import dev.rollguard.config.ValidationSettings;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Decides whether a change is high-risk: a changed (added or removed) line matches a service's risk rule. */
public final class RiskRules {
    /** What one rule may spend on one change's lines: a well-formed pattern needs milliseconds. */
    static final Duration RULE_TIME = Duration.ofSeconds(1);

    private RiskRules() {}

    public static List<String> reasons(ValidationInput input) {
        return reasons(input.parent(), input.tree(), input.settings());
    }

    /** The risk of changing {@code from} (null: nothing) into {@code to}. */
    public static List<String> reasons(ConfigTree from, ConfigTree to, ValidationSettings settings) {
        List<ValidationSettings.RiskRule> rules = (settings == null ? ValidationSettings.DEFAULT : settings).riskRules();
        if (rules.isEmpty()) return List.of();
        List<String> reasons = new ArrayList<>();
        // files in any encoding: one Latin-1 byte in a comment must not hide a password change from the rules
        List<TreeDiff.FileDiff> diffs = TreeDiff.between(from == null ? null : from.readable(), to.readable(), "a", "b");
        for (ValidationSettings.RiskRule rule : rules) {
            PathMatcher glob = FileSystems.getDefault().getPathMatcher("glob:" + rule.pathGlob());
            Pattern line = Pattern.compile(rule.lineRegex());
            long deadline = System.nanoTime() + RULE_TIME.toNanos();
            try {
                for (TreeDiff.FileDiff d : diffs) {
                    if (!glob.matches(Path.of(d.path())) && !rule.pathGlob().equals("**")) continue;
                    for (TreeDiff.ChangedLine c : d.changedLines()) {
                        if (line.matcher(BoundedText.of(c.text(), deadline)).find()) {
                            reasons.add(rule.id() + ": " + d.path() + ":" + c.line() + (c.added() ? " added" : " removed")
                                    + (rule.reason() == null ? "" : " (" + rule.reason() + ")"));
                            break;
                        }
                    }
                }
            } catch (BoundedText.Exceeded e) {
                // a rule that cannot decide in time never lets a change pass as low-risk: a person looks at it
                reasons.add(rule.id() + ": its lineRegex did not finish within " + RULE_TIME.toSeconds()
                        + " s on this change; treated as high-risk (simplify the pattern)");
            }
        }
        return reasons;
    }
}
