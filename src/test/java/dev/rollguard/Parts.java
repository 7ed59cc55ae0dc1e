package dev.rollguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real part a test needs (bubblewrap, php, Apache, a Debian WordPress tree...): the test is skipped, with the reason,
 * where the part cannot be had, and fails where the machine promised it. {@code bin/test} installs every part and sets
 * {@code ROLLGUARD_REQUIRE_<PART>=1} for each, so there a missing part is a failure, never a quiet skip; a bare
 * {@code mvn -B test} on a machine without the part skips only the tests that need it.
 */
public final class Parts {
    private Parts() {
    }

    /**
     * @param part    the part's name in the variable, e.g. {@code SANDBOX} for {@code ROLLGUARD_REQUIRE_SANDBOX}
     * @param present whether it is there
     * @param missing why not, as the skip's or the failure's message (what to install)
     */
    public static void need(String part, boolean present, String missing) {
        if (required(part)) assertThat(present).as("%s (ROLLGUARD_REQUIRE_%s=1)", missing, part).isTrue();
        else assumeTrue(present, missing);
    }

    public static boolean required(String part) {
        return "1".equals(System.getenv("ROLLGUARD_REQUIRE_" + part));
    }
}
