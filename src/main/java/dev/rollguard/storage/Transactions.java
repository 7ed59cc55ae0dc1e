package dev.rollguard.storage;

import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The one way services open a transaction: {@code work} gets a {@link Tx} to pass to the stores whose writes must
 * commit together (a version and its audit record, a rollout step and its events). {@link Database} implements it:
 * on SQLite, writing transactions queue on one lock (see {@link SerializedWrites}); on PostgreSQL they run side by side.
 */
public interface Transactions {
    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    <T> T inTransaction(Function<Tx, T> work);

    default void useTransaction(Consumer<Tx> work) {
        inTransaction(tx -> {
            work.accept(tx);
            return null;
        });
    }

    /** Runs {@code work} on one connection without opening a transaction (reads that need not queue behind writes). */
    <T> T read(Function<Tx, T> work);
}
