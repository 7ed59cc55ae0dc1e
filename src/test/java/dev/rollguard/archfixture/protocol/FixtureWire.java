package dev.rollguard.archfixture.protocol;

import dev.rollguard.archfixture.FixtureStore;

import java.util.List;

/** A wire record carrying a store's row, for the architecture test's check that it sees the protocol reaching the server. */
public record FixtureWire(List<FixtureStore.Row> rows) {}
