package dev.rollguard.archfixture;

/** A route that reads a store's row type, which the architecture rule must refuse. */
public final class FixtureRoute {
    FixtureStore.Row row;
}
