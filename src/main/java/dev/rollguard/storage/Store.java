package dev.rollguard.storage;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * What every store shares: the database's JDBI, with the SQLite write queue of {@link Database} installed, and the
 * right to open a service's {@link Tx}. Only stores (and storage/) write SQL; ArchitectureTest holds that.
 */
public abstract class Store {
    protected final Jdbi jdbi;

    protected Store(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** The connection inside a service's transaction. */
    protected static Handle handle(Tx tx) {
        return tx.handle;
    }

    /** A store's own connection as a {@link Tx}, for its methods that also take part in services' transactions. */
    protected static Tx tx(Handle h) {
        return new Tx(h);
    }
}
