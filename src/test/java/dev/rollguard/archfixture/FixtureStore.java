package dev.rollguard.archfixture;

/** A table's owner, for the architecture test's check that it sees a route reaching a store. */
public final class FixtureStore {
    /** A row type declared in the store: reaching it is reaching the store. */
    public record Row(int id) {}
}
