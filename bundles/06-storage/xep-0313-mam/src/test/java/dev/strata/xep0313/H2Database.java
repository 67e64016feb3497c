package dev.strata.xep0313;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import dev.strata.api.storage.SqlDatabase;
import dev.strata.api.storage.StorageException;

/** An in-memory H2 database for the tests: migrations applied as written, one connection, each call a transaction. */
final class H2Database implements SqlDatabase, AutoCloseable {
    private final Connection c;

    H2Database(String name) throws SQLException {
        c = DriverManager.getConnection("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
        c.setAutoCommit(false);
    }

    @Override
    public Dialect dialect() {
        return Dialect.H2;
    }

    @Override
    public synchronized int migrate(String module, List<Migration> migrations) {
        try (Statement s = c.createStatement()) {
            for (Migration m : migrations) for (String sql : m.h2().split(";\\s*\\n")) if (!sql.isBlank()) s.execute(sql);
            c.commit();
            return migrations.size();
        } catch (SQLException e) {
            throw new StorageException("migration failed", e);
        }
    }

    @Override
    public synchronized <T> T transaction(Work<T> work) {
        try {
            T t = work.run(c);
            c.commit();
            return t;
        } catch (SQLException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the first failure is the one to report
            }
            throw new StorageException("transaction failed", e);
        }
    }

    @Override
    public void close() throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SHUTDOWN");
        }
    }
}
