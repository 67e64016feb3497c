package dev.strata.api.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The server's SQL database (embedded H2, or PostgreSQL), for modules whose data does not fit the
 * key-value store (archives, rooms, nodes). A module owns its tables: it brings them up to date
 * with {@link #migrate} when it activates, and reaches them through {@link #transaction}. Every
 * call may block: run it on a session's worker or the module's own thread.
 */
@ProviderType
public interface SqlDatabase {
    /** The SQL dialects a migration is written for. */
    enum Dialect { H2, POSTGRESQL }

    /** One schema change of a module: a description, and the statements for each dialect (semicolon at line end separates them). */
    record Migration(String description, String h2, String postgresql) {
        /** A change whose SQL is the same on both databases. */
        public static Migration of(String description, String sql) {
            return new Migration(description, sql, sql);
        }

        public String sql(Dialect dialect) {
            return dialect == Dialect.H2 ? h2 : postgresql;
        }
    }

    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    Dialect dialect();

    /**
     * Applies the module's migrations that this database has not applied yet, in order, each in
     * its own transaction, and records them under {@code module} (a short stable name such as
     * {@code mam}). Append to the list; never edit a migration that has shipped. Returns how many
     * were applied.
     * @throws StorageException when one fails (it is rolled back), or when the database has more
     *         migrations of this module than the list (a newer version wrote it)
     */
    int migrate(String module, List<Migration> migrations);

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws.
     * It returns once the commit survives a crash of the server process, so a module may tell a
     * client "done" right after.
     */
    <T> T transaction(Work<T> work);

    /**
     * Runs {@code work}, which only reads, in one transaction; it does not wait for anything to be
     * made durable (a {@link #transaction} would, needlessly).
     */
    default <T> T read(Work<T> work) {
        return transaction(work);
    }

    /**
     * Runs {@code work} in one transaction like {@link #transaction}, but returns once committed,
     * without waiting for the commit to be durable: for writes a client is not told about one by
     * one (an archived copy of a routed message), which then cost a share of one disk flush instead
     * of a flush each. They are durable once {@link #durable()} completes, which whoever
     * acknowledges them waits for (the stream layer before a XEP-0198 {@code <a/>}), and in any
     * case within a fraction of a second.
     */
    default <T> T transactionWithoutWaiting(Work<T> work) {
        return transaction(work);
    }

    /**
     * Completes once every transaction committed before the call, {@link #transactionWithoutWaiting}
     * ones included, survives a crash of the server process; exceptionally when that failed. At
     * once when there is nothing to wait for. Never blocks.
     */
    default CompletionStage<Void> durable() {
        return CompletableFuture.completedFuture(null);
    }
}
