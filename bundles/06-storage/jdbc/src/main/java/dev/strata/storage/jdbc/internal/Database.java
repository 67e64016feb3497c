package dev.strata.storage.jdbc.internal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import javax.sql.DataSource;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import dev.strata.api.metrics.Metrics;
import dev.strata.api.storage.SqlDatabase;

/**
 * The database: embedded H2 in {@code data/db/} unless a JDBC URL is configured, behind a
 * HikariCP pool, with the schema migrated on start. A changed configuration re-creates it. Also the
 * {@link SqlDatabase} service for modules with tables of their own.
 */
@Component(name = "strata.storage.jdbc", service = {Database.class, SqlDatabase.class})
@Designate(ocd = Database.Config.class)
public final class Database implements SqlDatabase {
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    @ObjectClassDefinition(id = "strata.storage.jdbc", name = "JDBC storage")
    public @interface Config {
        @AttributeDefinition(required = false, description = "JDBC URL; empty: embedded H2 in $STRATA_DATA_PATH/db/strata. "
                + "PostgreSQL: jdbc:postgresql://host/db (with the org.postgresql driver bundle loaded)")
        String url() default "";

        @AttributeDefinition(required = false, description = "Database user")
        String user() default "strata";

        @AttributeDefinition(required = false, type = AttributeType.PASSWORD, description = "Database password")
        String password() default "";

        @AttributeDefinition(min = "1", max = "200", description = "Connections in the pool")
        int pool_size() default 8;

        @AttributeDefinition(min = "4096", max = "1000000", description = "PBKDF2 iterations of new SCRAM credentials (RFC 7677 asks at least 4096)")
        int scram_iterations() default 4096;

        @AttributeDefinition(required = false, description = "Embedded H2 only: force each group commit to the disk (fsync), so that acknowledged "
                + "writes survive a power loss or an operating system crash as well as a crash of the server. false saves a disk flush per group "
                + "of writes, and is not recommended: with it, CrashIT saw H2 lose the last acknowledged write after kill -9 in about one round "
                + "in twenty. (PostgreSQL follows its own synchronous_commit and fsync settings.)")
        boolean fsync() default true;
    }

    private final HikariDataSource pool;
    /** Embedded H2's group commit, on a connection of its own; null when the database's commit is durable by itself. */
    private final GroupCommit groupCommit;
    private final java.sql.Connection flushConnection;
    private final Transactions transactions;
    private static final long HOUSEKEEPING_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
    /** When housekeeping last ran (group commit thread only); 0: as soon as the file needs it. */
    private long lastHousekeeping = System.nanoTime() - HOUSEKEEPING_NANOS;
    /** For logs: the URL without any password parameter. */
    private final String url;
    private final int scramIterations;
    private final Dialect dialect;

    @Activate
    public Database(BundleContext context, Config config) throws SQLException {
        String data = context.getProperty("strata.data");
        String jdbcUrl = config.url().isBlank() ? H2.defaultUrl(Path.of(data == null ? "data" : data)) : config.url();
        this.url = jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1***");
        this.scramIterations = config.scram_iterations();
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("strata");
        hc.setMaximumPoolSize(config.pool_size());
        hc.setMinimumIdle(1);
        DataSource h2 = null;
        if (jdbcUrl.startsWith("jdbc:h2:")) {
            h2 = H2.dataSource(H2.closedByTheServer(jdbcUrl), config.user(), config.password());
            hc.setDataSource(h2);
            dialect = Dialect.H2;
        } else if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            hc.setDataSource(Postgres.dataSource(jdbcUrl, config.user(), config.password()));
            dialect = Dialect.POSTGRESQL;
        } else {
            throw new IllegalArgumentException("Unsupported JDBC URL " + url + ": use jdbc:h2: or jdbc:postgresql:");
        }
        try {
            pool = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            LOG.error("Cannot open the database {}: {}", url, rootMessage(e));
            throw e;
        }
        try (Connection c = pool.getConnection()) {
            int applied = Migrations.apply(c);
            LOG.info("Database {} ready, schema version {}{}", url, Migrations.current(c), applied > 0 ? " (" + applied + " migrations applied)" : "");
        } catch (SQLException | RuntimeException e) {
            pool.close();
            LOG.error("Cannot prepare the database {}: {}", url, rootMessage(e));
            throw e;
        }
        if (h2 != null && H2.isFile(jdbcUrl)) {
            flushConnection = h2.getConnection();
            org.h2.mvstore.MVStore store = H2.mvStore(flushConnection);
            // No background writer: its stores are asynchronous, and MVStore.commit() returns early when
            // one of them has just started, before its chunk is in the file. Every store is then
            // synchronous: the group commit's, or one a transaction's end tries.
            store.setAutoCommitDelay(0);
            // New chunks go at the end of the file: after kill -9, H2's recovery did not always find the
            // newest chunk when it had been written into reused space mid-file (CrashIT lost the last
            // acknowledged writes about once in twenty rounds). The space is won back by housekeeping.
            store.setReuseSpace(false);
            boolean fsync = config.fsync();
            groupCommit = new GroupCommit("strata-h2-group-commit", () -> {
                store.commit(); // every committed change into the file (CHECKPOINT may compact instead, and then does not)
                if (fsync) store.sync();
            }, () -> housekeeping(store, fsync));
            transactions = new Transactions(pool, groupCommit);
        } else {
            flushConnection = null;
            groupCommit = null;
            transactions = new Transactions(pool, Durability.COMMIT);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) t = t.getCause();
        String m = t.getMessage();
        return m == null ? t.toString() : m.lines().findFirst().orElse(m);
    }

    /**
     * On the group commit's thread, between rounds, at most once a minute: when less than half of
     * the H2 file is live data, moves chunks into the free space and shrinks the file (space reuse on
     * for just that), then writes one more chunk at the end, so that the newest chunk is at the end
     * of the file again before anyone is told a write is done.
     */
    private void housekeeping(org.h2.mvstore.MVStore store, boolean fsync) {
        long now = System.nanoTime();
        if (now - lastHousekeeping < HOUSEKEEPING_NANOS || store.getFillRate() >= 50) return;
        lastHousekeeping = now;
        try {
            long before = store.getFileStore().size();
            store.setReuseSpace(true);
            try {
                store.compactFile(200);
            } finally {
                store.setReuseSpace(false);
            }
            try (var s = flushConnection.createStatement()) {
                s.executeUpdate("UPDATE strata_housekeeping SET compacted_at = CURRENT_TIMESTAMP WHERE id = 1");
            }
            store.commit();
            if (fsync) store.sync();
            LOG.debug("Database file compacted from {} to {} bytes", before, store.getFileStore().size());
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Compacting the database file failed: {}", rootMessage(e));
        }
    }

    /** Every read and write of the storage bundle goes through these: writes return once durable. */
    Transactions transactions() {
        return transactions;
    }

    int scramIterations() {
        return scramIterations;
    }

    @Override
    public Dialect dialect() {
        return dialect;
    }

    @Override
    public int migrate(String module, List<Migration> migrations) {
        if (!module.matches("[a-z0-9][a-z0-9._-]{0,99}")) throw new IllegalArgumentException("A module's schema name is short lower-case text, not '" + module + "'");
        int applied = transactions.write("Migrations of " + module, c -> Migrations.apply(c, module, migrations, dialect));
        if (applied > 0) LOG.info("Schema of {}: {} migration(s) applied, now at version {}", module, applied, migrations.size());
        return applied;
    }

    /** Storage timings go to the server's metrics while the metrics module is loaded. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindMetrics(Metrics m) {
        transactions.metrics(m);
    }

    void unbindMetrics(Metrics m) {
        transactions.metrics(Metrics.NONE);
    }

    @Override
    public <T> T transaction(Work<T> work) {
        return transactions.write("A module's SQL work", work::run);
    }

    @Override
    public <T> T read(Work<T> work) {
        return transactions.read("A module's SQL read", work::run);
    }

    @Override
    public <T> T transactionWithoutWaiting(Work<T> work) {
        return transactions.writeWithoutWaiting("A module's SQL work", work::run);
    }

    @Override
    public java.util.concurrent.CompletionStage<Void> durable() {
        return transactions.durable();
    }

    /**
     * Closes the database while this bundle's classes are still there: H2's own exit hook is off
     * ({@link H2#closedByTheServer}), because on SIGTERM it ran after the framework had unwired H2.
     */
    @Deactivate
    void close() {
        if (groupCommit != null) {
            groupCommit.close();
            LOG.debug("Group commit: {} writes made durable in {} flushes", groupCommit.writes(), groupCommit.flushes());
        }
        pool.close();
        if (flushConnection != null) {
            try (flushConnection; var s = flushConnection.createStatement()) {
                s.execute("SHUTDOWN"); // the last connection: everything is written and the file closed
            } catch (SQLException e) {
                LOG.warn("Closing the database {}: {}", url, rootMessage(e));
            }
        }
        LOG.info("Database {} closed", url);
    }
}
