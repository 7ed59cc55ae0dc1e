package dev.rollguard.archfixture;

import java.time.Clock;

/** A decider that reads a store and the clock itself: what the architecture test must report. */
public final class FixtureMachine {
    public static boolean decide(FixtureStore store, Clock clock) {
        return store.hashCode() > clock.millis();
    }
}
