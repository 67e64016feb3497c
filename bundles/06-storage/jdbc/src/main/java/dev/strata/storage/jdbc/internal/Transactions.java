package dev.strata.storage.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import dev.strata.api.storage.StorageException;

/**
 * Units of work, each in one transaction: committed when it returns, rolled back when it throws;
 * SQL failures become {@link StorageException}s. A {@link #write} returns only once its commit is
 * durable (see {@link Durability}), so whoever acknowledges it to a client tells the truth.
 */
public final class Transactions {
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final DataSource dataSource;
    private final Durability durability;

    public Transactions(DataSource dataSource, Durability durability) {
        this.dataSource = dataSource;
        this.durability = durability;
    }

    /** Work that only reads. */
    public <T> T read(String what, Work<T> work) {
        return run(what, work);
    }

    /** Work that writes: returns once the commit survives a crash of the process. */
    public <T> T write(String what, Work<T> work) {
        T result = run(what, work);
        durability.await();
        return result;
    }

    /** Work that writes, returning once committed; durable with the next flush ({@link #durable()}). */
    public <T> T writeWithoutWaiting(String what, Work<T> work) {
        T result = run(what, work);
        durability.committedWithoutWaiting();
        return result;
    }

    /** Completes once everything committed so far is durable. */
    public java.util.concurrent.CompletionStage<Void> durable() {
        return durability.durable();
    }

    private <T> T run(String what, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StorageException(what + " failed: " + e.getMessage(), e);
        }
    }
}
