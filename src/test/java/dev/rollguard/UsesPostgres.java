package dev.rollguard;

import org.junit.jupiter.api.Tag;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test class on the shared test PostgreSQL. Such classes run in Maven's second test execution, one at a time and
 * after the rest (pom.xml): PostgresTest restarts the cluster, which would cut the connections of any other test on it
 * running side by side. storage's ScratchPostgres refuses a caller without it, so a new test cannot forget.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("postgres")
public @interface UsesPostgres {
}
