package dev.rollguard.validate;

import java.util.Locale;
import java.util.Set;

/**
 * Files a tree carries that are not its configuration: CI definitions (a vendored library's
 * {@code .github/workflows/*.yml} names {@code ./vendor/bin/phpunit}, which exists only in the library's own checkout)
 * and test fixtures (deliberately broken or pointing at paths of the library's test run).
 */
final class NotConfig {
    private static final Set<String> CI_FILES = Set.of(".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".appveyor.yml", "azure-pipelines.yml",
            ".scrutinizer.yml", ".styleci.yml", "bitbucket-pipelines.yml", ".drone.yml", "codecov.yml", ".codecov.yml", ".php_cs.dist",
            ".php-cs-fixer.dist.php", "phpunit.xml", "phpunit.xml.dist", "phpcs.xml", "phpcs.xml.dist", "psalm.xml", "phpstan.neon",
            "phpstan.neon.dist", "infection.json.dist", ".coveralls.yml");
    private static final Set<String> CI_DIRS = Set.of(".github", ".circleci", ".gitlab", ".buildkite");
    private static final Set<String> FIXTURE_DIRS = Set.of("fixtures", "__fixtures__", "testdata", "test-data", "test_data", "stubs");
    private static final Set<String> TEST_DIRS = Set.of("test", "tests", "testing", "spec", "specs", "__tests__");

    private NotConfig() {}

    /** A CI definition: its paths are the CI checkout's, not the deployed tree's. */
    static boolean ci(String path) {
        String[] parts = path.split("/");
        if (CI_FILES.contains(parts[parts.length - 1])) return true;
        for (int i = 0; i < parts.length - 1; i++) if (CI_DIRS.contains(parts[i])) return true;
        return false;
    }

    /** A test fixture: under a fixtures directory of a test directory, or anything under a vendored package's tests. */
    static boolean fixture(String path) {
        String[] parts = path.toLowerCase(Locale.ROOT).split("/");
        boolean inTests = false;
        boolean vendored = false;
        for (int i = 0; i < parts.length - 1; i++) {
            if (parts[i].equals("vendor") || parts[i].equals("node_modules")) vendored = true;
            if (TEST_DIRS.contains(parts[i])) {
                if (vendored) return true;
                inTests = true;
            }
            if (inTests && FIXTURE_DIRS.contains(parts[i])) return true;
        }
        return false;
    }
}
