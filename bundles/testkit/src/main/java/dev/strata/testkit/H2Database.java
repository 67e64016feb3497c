package dev.strata.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import dev.strata.api.storage.SqlDatabase;
import dev.strata.api.storage.StorageException;

/** An in-memory H2 database for module tests: migrations applied as written (each once), one connection, each call a transaction. */
public final class H2Database implements SqlDatabase, AutoCloseable {
    private final Connection c;
    /** How many migrations of each module this database has applied, as the real one records them. */
    private final java.util.Map<String, Integer> applied = new java.util.HashMap<>();

    public H2Database(String name) throws SQLException {
        c = DriverManager.getConnection("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
        c.setAutoCommit(false);
    }

    @Override
    public Dialect dialect() {
        return Dialect.H2;
    }

    @Override
    public synchronized int migrate(String module, List<Migration> migrations) {
        int done = applied.getOrDefault(module, 0);
        try (Statement s = c.createStatement()) {
            for (Migration m : migrations.subList(Math.min(done, migrations.size()), migrations.size())) for (String sql : m.h2().split(";\\s*\\n")) if (!sql.isBlank()) s.execute(sql);
            c.commit();
            applied.put(module, Math.max(done, migrations.size()));
            return Math.max(0, migrations.size() - done);
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
