package dev.strata.storage.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import dev.strata.api.metrics.Metrics;
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
    /** Time per unit of work ({@code strata_storage_seconds{operation}}): read, write (until durable), write without waiting. */
    private volatile Metrics.Histogram.Child[] timers = timers(Metrics.NONE);

    /** Records into {@code m} from now on ({@link Metrics#NONE} to stop). */
    public void metrics(Metrics m) {
        timers = timers(m);
    }

    private static Metrics.Histogram.Child[] timers(Metrics m) {
        Metrics.Histogram h = m.histogram("strata_storage_seconds", "Time of a storage transaction, a write until its commit is durable", "operation");
        return new Metrics.Histogram.Child[] {h.labels("read"), h.labels("write"), h.labels("write_without_waiting")};
    }

    public Transactions(DataSource dataSource, Durability durability) {
        this.dataSource = dataSource;
        this.durability = durability;
    }

    /** Work that only reads. */
    public <T> T read(String what, Work<T> work) {
        long start = System.nanoTime();
        T result = run(what, work);
        timers[0].since(start);
        return result;
    }

    /** Work that writes: returns once the commit survives a crash of the process. */
    public <T> T write(String what, Work<T> work) {
        long start = System.nanoTime();
        T result = run(what, work);
        durability.await();
        timers[1].since(start);
        return result;
    }

    /** Work that writes, returning once committed; durable with the next flush ({@link #durable()}). */
    public <T> T writeWithoutWaiting(String what, Work<T> work) {
        long start = System.nanoTime();
        T result = run(what, work);
        durability.committedWithoutWaiting();
        timers[2].since(start);
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
