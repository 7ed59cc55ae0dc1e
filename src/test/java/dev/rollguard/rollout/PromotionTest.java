package dev.rollguard.rollout;

import dev.rollguard.versions.ReleaseRecord;
import dev.rollguard.versions.VersionInfo;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The promotion policy, without a database or a clock: every refusal, and what break-glass lifts and what it does not. */
class PromotionTest {
    private static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");

    private static VersionInfo version(int n, boolean bad) {
        return new VersionInfo("wp", n, null, "alice", "m", NOW.minusSeconds(3600), "h", 1, 1, true, false, bad,
                bad ? "rolled back" : null, null, null, null);
    }

    private static ReleaseRecord releasedAt(int version, Instant at) {
        return new ReleaseRecord("r", "wp", "testing", version, null, "alice", null, at);
    }

    private static Promotion.Request toProduction(VersionInfo v, Promotion.Previous previous, String breakGlass, Optional<String> approval) {
        return new Promotion.Request(v, "production", true, 1, approval, previous, 60, breakGlass, NOW);
    }

    private static Optional<String> code(Promotion.Request q) {
        return Promotion.check(q).map(Promotion.Refusal::code);
    }

    @Test
    void theFirstEnvironmentTakesAnyGoodVersion() {
        assertThat(Promotion.check(new Promotion.Request(version(2, false), "testing", false, 1, Optional.empty(), null, 60, null, NOW)))
                .isEmpty();
    }

    @Test
    void eachRefusalHasItsCode() {
        VersionInfo v2 = version(2, false);
        Promotion.Previous baked = new Promotion.Previous("testing", 2, List.of(releasedAt(2, NOW.minusSeconds(600))));
        assertThat(code(toProduction(v2, baked, null, Optional.empty()))).isEmpty();
        assertThat(code(toProduction(version(2, true), baked, null, Optional.empty()))).contains("version_bad");
        assertThat(code(toProduction(v2, baked, null, Optional.of("DB_PASSWORD changed")))).contains("approval_required");
        assertThat(code(toProduction(v2, new Promotion.Previous("testing", 1, List.of()), null, Optional.empty())))
                .contains("promotion_order");
        assertThat(code(toProduction(v2, new Promotion.Previous("testing", 2, List.of(releasedAt(2, NOW.minusSeconds(59)))), null,
                Optional.empty()))).contains("promotion_bake");
        // released there once, but another version runs there now
        assertThat(code(toProduction(v2, new Promotion.Previous("testing", 3, List.of(releasedAt(2, NOW.minusSeconds(600)))), null,
                Optional.empty()))).contains("promotion_order");
        assertThat(code(new Promotion.Request(v2, "production", true, 2, Optional.empty(), baked, 60, null, NOW))).contains("already_released");
    }

    @Test
    void theBakeRefusalSaysHowLongAndHowLongMore() {
        var refusal = Promotion.check(toProduction(version(2, false),
                new Promotion.Previous("testing", 2, List.of(releasedAt(2, NOW.minusSeconds(20)))), null, Optional.empty())).orElseThrow();
        assertThat(refusal.message()).isEqualTo("wp v2 has been in 'testing' for 20 s; 'production' accepts it after 60 s of bake");
        assertThat(refusal.problem().status()).isEqualTo(409);
    }

    /** Break-glass lifts the order and bake of environments, whatever they are. */
    @Property(tries = 200)
    void breakGlassLiftsOrderAndBake(@ForAll @IntRange(min = 0, max = 600) int bakedSeconds, @ForAll boolean releasedThere,
                                     @ForAll @IntRange(min = 1, max = 4) int runsThere) {
        Promotion.Previous previous = new Promotion.Previous("testing", runsThere,
                releasedThere ? List.of(releasedAt(2, NOW.minusSeconds(bakedSeconds))) : List.of());
        assertThat(Promotion.check(toProduction(version(2, false), previous, "site down", Optional.empty()))).isEmpty();
    }

    /** Break-glass never lifts a bad version or the two-person rule. */
    @Property(tries = 200)
    void breakGlassNeverLiftsBadOrApproval(@ForAll boolean bad, @ForAll @IntRange(min = 0, max = 600) int bakedSeconds) {
        Promotion.Previous previous = new Promotion.Previous("testing", 2, List.of(releasedAt(2, NOW.minusSeconds(bakedSeconds))));
        String expected = bad ? "version_bad" : "approval_required";
        assertThat(code(toProduction(version(2, bad), previous, "site down", Optional.of("risk")))).contains(expected);
    }

    /** Without break-glass, a version goes further only after it has baked where it was, never before. */
    @Property(tries = 200)
    void noBakeNoPromotion(@ForAll @IntRange(min = 0, max = 600) int bakedSeconds, @ForAll @IntRange(min = 0, max = 600) int needed) {
        Promotion.Previous previous = new Promotion.Previous("testing", 2, List.of(releasedAt(2, NOW.minusSeconds(bakedSeconds))));
        Optional<String> c = code(new Promotion.Request(version(2, false), "production", true, 1, Optional.empty(), previous, needed, null, NOW));
        assertThat(c.isEmpty()).isEqualTo(bakedSeconds >= needed);
    }
}
