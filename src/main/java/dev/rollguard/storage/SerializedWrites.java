package dev.rollguard.storage;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.transaction.DelegatingTransactionHandler;
import org.jdbi.v3.core.transaction.LocalTransactionHandler;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

import java.util.concurrent.locks.ReentrantLock;

/**
 * SQLite allows one writer at a time; concurrent writers otherwise meet in SQLite's busy handler, which
 * sleeps in growing steps and collapses throughput under load (thousands of agents reporting). Queuing
 * transactions on a fair in-process lock instead keeps them flowing one after another.
 */
final class SerializedWrites extends DelegatingTransactionHandler {
    private final ReentrantLock lock = new ReentrantLock(true);

    SerializedWrites() {
        super(new LocalTransactionHandler());
    }

    @Override
    public <R, X extends Exception> R inTransaction(Handle handle, HandleCallback<R, X> callback) throws X {
        lock.lock();
        try {
            return super.inTransaction(handle, callback);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public <R, X extends Exception> R inTransaction(Handle handle, TransactionIsolationLevel level, HandleCallback<R, X> callback) throws X {
        lock.lock();
        try {
            return super.inTransaction(handle, level, callback);
        } finally {
            lock.unlock();
        }
    }
}
