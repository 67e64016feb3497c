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

    public static DataSource dataSource(String url, String user, String password) {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(url);
        ds.setUser(user);
        ds.setPassword(password);
        return ds;
    }
}
