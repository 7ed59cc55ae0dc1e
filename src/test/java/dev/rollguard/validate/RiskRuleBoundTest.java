package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.ValidationSettings;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 25 (Lows): a service admin's risk-rule regex runs within a time bound, and a rule that cannot decide blocks. */
class RiskRuleBoundTest {
    private static ValidationSettings rules(ValidationSettings.RiskRule... r) {
        return new ValidationSettings(null, false, true, null, List.of(), List.of(r), List.of());
    }

    @Test
    void aCatastrophicPatternIsCutOffAndTheChangeCountsAsHighRisk() {
        ValidationSettings s = rules(new ValidationSettings.RiskRule("evil", "**", "^((a+)\\2?)+$", null));
        ConfigTree before = ConfigTree.of(Map.of("a.conf", "x\n"));
        // 40 characters: this pattern would backtrack for ages on them
        ConfigTree after = ConfigTree.of(Map.of("a.conf", "a".repeat(40) + "!\n"));
        List<String> reasons = RiskRules.reasons(before, after, s);
        assertThat(reasons).singleElement().asString().contains("evil", "did not finish", "treated as high-risk");
    }

    @Test
    void wellFormedRulesStillMatchAndPass() {
        ValidationSettings s = rules(new ValidationSettings.RiskRule("db", "**", "DB_PASSWORD", "credentials"));
        ConfigTree before = ConfigTree.of(Map.of("wp-config.php", "define('DB_NAME', 'x');\n"));
        assertThat(RiskRules.reasons(before, ConfigTree.of(Map.of("wp-config.php", "define('DB_PASSWORD', 'y');\n")), s))
                .singleElement().asString().startsWith("db: wp-config.php:1 added");
        assertThat(RiskRules.reasons(before, ConfigTree.of(Map.of("wp-config.php", "define('DB_HOST', 'y');\n")), s)).isEmpty();
    }

    @Test
    void aVeryLongPatternIsRefusedWhenTheSpecIsSaved() {
        assertThatThrownBy(() -> new ValidationSettings.RiskRule("long", "**", "a".repeat(1001), null))
                .hasMessageContaining("longer than 1000");
    }
}
