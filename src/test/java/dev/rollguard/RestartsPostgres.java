package dev.rollguard;

import org.junit.jupiter.api.Tag;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test class that restarts the shared test PostgreSQL (storage's PostgresTest). It runs alone, in Maven's second test
 * execution, after every other test has finished (pom.xml): a restart cuts the connections of any test on the cluster
 * running side by side. The other {@link UsesPostgres} classes run with the rest, in the two test JVMs.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("postgres-restart")
public @interface RestartsPostgres {
}
