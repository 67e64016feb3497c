package dev.strata.storage.jdbc.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.strata.api.storage.SqlDatabase;

/**
 * Versioned schema migrations. The storage bundle's own are {@code migration/V<n>__<description>.sql}
 * in this package, recorded in {@code strata_schema_version}; a module's come through
 * {@link dev.strata.api.storage.SqlDatabase#migrate} and are recorded per module in
 * {@code strata_module_schema}. Each applies in order, in its own transaction. A database newer
 * than the code is refused rather than guessed at.
 */
public final class Migrations {
    /** The migrations this code knows, in order. Append; never edit a released one. */
    static final List<String> SCRIPTS = List.of("V1__accounts.sql", "V2__keyvalue.sql", "V3__module_schema.sql", "V4__document_size.sql", "V5__housekeeping.sql",
            "V6__documents_belong_to_accounts.sql");

    private Migrations() {
    }

    /** Where one schema's applied versions are recorded. */
    private interface Ledger {
        int current(Connection c) throws SQLException;

        void record(Connection c, int version, String description) throws SQLException;
    }

    /** Brings the storage bundle's schema up to date; returns the number of migrations applied. */
    public static int apply(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS strata_schema_version (version INTEGER PRIMARY KEY, "
                    + "description VARCHAR(200) NOT NULL, applied_at TIMESTAMP WITH TIME ZONE NOT NULL)");
        }
        List<SqlDatabase.Migration> all = SCRIPTS.stream().map(name -> SqlDatabase.Migration.of(name, read(name))).toList();
        return apply(c, "Strata", all, SqlDatabase.Dialect.H2, new Ledger() {
            @Override
            public int current(Connection conn) throws SQLException {
                return Migrations.current(conn);
            }

            @Override
            public void record(Connection conn, int version, String description) throws SQLException {
                try (PreparedStatement p = conn.prepareStatement("INSERT INTO strata_schema_version (version, description, applied_at) VALUES (?, ?, ?)")) {
                    p.setInt(1, version);
                    p.setString(2, description);
                    p.setTimestamp(3, Timestamp.from(Instant.now()));
                    p.executeUpdate();
                }
            }
        });
    }

    /** Brings one module's tables up to date; returns the number of migrations applied. */
    static int apply(Connection c, String module, List<SqlDatabase.Migration> migrations, SqlDatabase.Dialect dialect) throws SQLException {
        return apply(c, "Module " + module, migrations, dialect, new Ledger() {
            @Override
            public int current(Connection conn) throws SQLException {
                try (PreparedStatement p = conn.prepareStatement("SELECT MAX(version) FROM strata_module_schema WHERE module = ?")) {
                    p.setString(1, module);
                    try (ResultSet r = p.executeQuery()) {
                        return r.next() ? r.getInt(1) : 0;
                    }
                }
            }

            @Override
            public void record(Connection conn, int version, String description) throws SQLException {
                try (PreparedStatement p = conn.prepareStatement("INSERT INTO strata_module_schema (module, version, description, applied_at) VALUES (?, ?, ?, ?)")) {
                    p.setString(1, module);
                    p.setInt(2, version);
                    p.setString(3, description);
                    p.setTimestamp(4, Timestamp.from(Instant.now()));
                    p.executeUpdate();
                }
            }
        });
    }

    private static int apply(Connection c, String who, List<SqlDatabase.Migration> migrations, SqlDatabase.Dialect dialect, Ledger ledger)
            throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            c.commit();
            int current = ledger.current(c);
            if (current > migrations.size()) {
                throw new SQLException(who + "'s database schema is at version " + current + ", newer than this Strata (which knows "
                        + migrations.size() + "): refusing to use it");
            }
            int applied = 0;
            for (int v = current + 1; v <= migrations.size(); v++) {
                SqlDatabase.Migration m = migrations.get(v - 1);
                try (Statement s = c.createStatement()) {
                    for (String sql : statements(m.sql(dialect))) s.execute(sql);
                }
                ledger.record(c, v, m.description());
                c.commit();
                applied++;
            }
            return applied;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    static int current(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT MAX(version) FROM strata_schema_version")) {
            return r.next() ? r.getInt(1) : 0;
        }
    }

    private static String read(String script) {
        try (InputStream in = Migrations.class.getResourceAsStream("/dev/strata/storage/jdbc/migration/" + script)) {
            if (in == null) throw new IllegalStateException("migration " + script + " is missing from the bundle");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read migration " + script, e);
        }
    }

    /** Splits a script at semicolons that end a line, dropping {@code --} comment lines. */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        for (String line : script.split("\n")) {
            String t = line.strip();
            if (t.startsWith("--") || t.isEmpty()) continue;
            sb.append(line).append('\n');
            if (t.endsWith(";")) {
                out.add(sb.toString().strip().replaceAll(";$", ""));
                sb.setLength(0);
            }
        }
        if (!sb.toString().isBlank()) out.add(sb.toString().strip());
        return out;
    }
}
