package dev.rollguard.storage;

import org.jdbi.v3.core.Handle;

/**
 * An open transaction (or, from {@link Transactions#read}, a connection for reads), as services carry it from
 * {@link Transactions} to the stores that take part in it. Opaque on purpose: only storage/ and the stores
 * ({@link Store}'s subclasses) see the connection inside, so what runs in one transaction is decided by the service
 * and how it is written stays in the stores.
 */
public final class Tx {
    final Handle handle;

    Tx(Handle handle) {
        this.handle = handle;
    }
}
