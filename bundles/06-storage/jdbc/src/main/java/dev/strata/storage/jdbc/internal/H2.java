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
        return unlessSet(url, "DB_CLOSE_ON_EXIT", "FALSE");
    }

    /** The URL with {@code setting=value} added, unless it sets that setting itself (in any case). */
    private static String unlessSet(String url, String setting, String value) {
        return url.toUpperCase(java.util.Locale.ROOT).contains(";" + setting + "=") ? url : url + ";" + setting + "=" + value;
    }

    /** True for a database in a file (not {@code jdbc:h2:mem:}, not a TCP server, whose own process owns durability). */
    static boolean isFile(String url) {
        String rest = url.substring("jdbc:h2:".length());
        return !rest.startsWith("mem:") && !rest.startsWith("tcp:") && !rest.startsWith("ssl:");
    }

    /**
     * The MVStore under an embedded connection, for the group commit: {@code MVStore.commit()} is
     * the one call that writes every committed change to the file. SQL {@code CHECKPOINT} compacts
     * instead when the file's fill rate is low, and then leaves recent commits in memory (seen on a
     * long-lived database). H2 exports {@code org.h2.mvstore} but not the engine classes on the way,
     * so their public getters are called reflectively.
     */
    static org.h2.mvstore.MVStore mvStore(java.sql.Connection c) throws java.sql.SQLException {
        try {
            Object jdbc = c.unwrap(org.h2.jdbc.JdbcConnection.class);
            Object session = jdbc.getClass().getMethod("getSession").invoke(jdbc);
            Object database = session.getClass().getMethod("getDatabase").invoke(session);
            Object store = database.getClass().getMethod("getStore").invoke(database);
            return (org.h2.mvstore.MVStore) store.getClass().getMethod("getMvStore").invoke(store);
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new java.sql.SQLException("This H2 version does not expose its MVStore as expected: " + e, e);
        }
    }

    /**
     * The size at which H2 splits a B-tree page, in bytes, where the URL does not set its own
     * {@code PAGE_SIZE} (H2's default is 16384). A row looked up by key costs the reading and
     * deserializing of its whole page (about 40 archived messages at 16384), and the page stays in
     * H2's cache, on the Java heap, until it is evicted: a page of 50 messages with one partner, whose
     * messages lie between those with others, reads a leaf page for every one or two of them. With
     * pages a quarter of the size such a query reads a quarter of the rows, and the young collections
     * that copy the cached pages are shorter; a chunk also copies smaller pages for each change
     * (itests/bench/compare W7, README "Archiving on"). Pages written before keep their size until
     * they next change.
     */
    static final int PAGE_SIZE = 4096;

    /** The URL with {@link #PAGE_SIZE}, unless it sets its own (also for tools that fill a database the server will open). */
    public static String withPageSize(String url) {
        return unlessSet(url, "PAGE_SIZE", Integer.toString(PAGE_SIZE));
    }

    /** H2 on {@code url} with {@link #withPageSize its page size}. */
    public static DataSource dataSource(String url, String user, String password) {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(withPageSize(url));
        ds.setUser(user);
        ds.setPassword(password);
        return ds;
    }
}
