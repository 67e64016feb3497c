package dev.strata.storage.jdbc.internal;

import javax.sql.DataSource;

import org.postgresql.ds.PGSimpleDataSource;

/** PostgreSQL through the org.postgresql.jdbc bundle; loaded only when a jdbc:postgresql: URL is configured. */
final class Postgres {
    private Postgres() {
    }

    static DataSource dataSource(String url, String user, String password) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url);
        ds.setUser(user);
        ds.setPassword(password);
        return ds;
    }
}
