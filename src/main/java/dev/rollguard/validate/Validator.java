package dev.rollguard.validate;

import dev.rollguard.config.ValidationSettings;

import java.util.List;

/** One check over a tree. Implementations are stateless and safe to call from several threads. */
public interface Validator {
    String id();

    List<Finding> validate(ValidationInput input);

    /** Refuses settings this validator cannot honour (a {@link dev.rollguard.Problem} with a 400 code) when a spec is saved. */
    default void check(ValidationSettings settings) {}
}
