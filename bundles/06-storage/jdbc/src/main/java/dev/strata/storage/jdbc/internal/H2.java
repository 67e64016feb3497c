package dev.strata.storage.jdbc.internal;

import java.nio.file.Path;

import javax.sql.DataSource;

import org.h2.jdbcx.JdbcDataSource;

/** The embedded H2 database (plain Java, also used by the offline tool). */
public final class H2 {
    private H2() {
    }

    /** The database file under a data folder (H2 needs an absolute path). */
    public static String defaultUrl(Path data) {
        return "jdbc:h2:file:" + data.toAbsolutePath().normalize().resolve("db/strata");
    }

    /**
     * The URL with H2's JVM exit hook turned off: the server closes the database itself when the
     * storage bundle stops, before the framework takes H2's classes away.
     */
    static String closedByTheServer(String url) {
        return url.toUpperCase(java.util.Locale.ROOT).contains(";DB_CLOSE_ON_EXIT=") ? url : url + ";DB_CLOSE_ON_EXIT=FALSE";
    }

    /** True for a database in a file (not {@code jdbc:h2:mem:}, not a TCP server, whose own process owns durability). */
    static boolean isFile(String url) {
        String rest = url.substring("jdbc:h2:".length());
        return !rest.startsWith("mem:") && !rest.startsWith("tcp:") && !rest.startsWith("ssl:");
    }

    public static DataSource dataSource(String url, String user, String password) {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(url);
        ds.setUser(user);
        ds.setPassword(password);
        return ds;
    }
}
