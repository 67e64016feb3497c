package dev.strata.storage.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import dev.strata.api.storage.StorageException;

/** One unit of work in one transaction: committed when it returns, rolled back when it throws; SQL failures become {@link StorageException}s. */
final class Transactions {
    private Transactions() {
    }

    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    static <T> T run(DataSource dataSource, String what, Work<T> work) {
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
