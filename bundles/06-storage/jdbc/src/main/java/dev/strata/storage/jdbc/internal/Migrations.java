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

/**
 * Versioned schema migrations: {@code migration/V<n>__<description>.sql} in this package, applied
 * in order, each in one transaction, and recorded in {@code strata_schema_version}. A database
 * newer than this code is refused rather than guessed at.
 */
public final class Migrations {
    /** The migrations this code knows, in order. Append; never edit a released one. */
    static final List<String> SCRIPTS = List.of("V1__accounts.sql", "V2__keyvalue.sql");

    private Migrations() {
    }

    /** Brings the schema up to date; returns the number of migrations applied. */
    public static int apply(Connection c) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS strata_schema_version (version INTEGER PRIMARY KEY, "
                        + "description VARCHAR(200) NOT NULL, applied_at TIMESTAMP WITH TIME ZONE NOT NULL)");
            }
            c.commit();
            int current = current(c);
            if (current > SCRIPTS.size()) {
                throw new SQLException("The database schema is at version " + current + ", newer than this Strata ("
                        + SCRIPTS.size() + "): refusing to use it");
            }
            int applied = 0;
            for (int v = current + 1; v <= SCRIPTS.size(); v++) {
                String script = SCRIPTS.get(v - 1);
                try (Statement s = c.createStatement()) {
                    for (String sql : statements(read(script))) s.execute(sql);
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO strata_schema_version (version, description, applied_at) VALUES (?, ?, ?)")) {
                    p.setInt(1, v);
                    p.setString(2, script);
                    p.setTimestamp(3, Timestamp.from(Instant.now()));
                    p.executeUpdate();
                }
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
