package dev.rollguard;

import org.junit.jupiter.api.Tag;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test class on the shared test PostgreSQL (each test on a scratch database of its own, so they may run side by side).
 * storage's ScratchPostgres refuses a caller without it, so a new test cannot forget to say so: the one class that
 * restarts the cluster is also {@link RestartsPostgres} and runs alone, after every class that uses it (pom.xml).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("postgres")
public @interface UsesPostgres {
}
