package dev.strata.storage.jdbc.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What stands between a committed transaction and the server telling a client "done": it returns
 * once every transaction committed before the call survives a crash of the process (and, where the
 * operator asks for it, a power loss).
 */
public interface Durability {
    /**
     * For a database whose commit is already durable when it returns (PostgreSQL with its default
     * {@code synchronous_commit = on}), and for databases that live in memory.
     */
    Durability COMMIT = () -> { };

    /** Blocks until the commits made before the call are durable; throws {@code StorageException} when they cannot be made so. */
    void await();

    /** A transaction committed whose writer does not wait: it is made durable with the next flush, soon. */
    default void committedWithoutWaiting() {
    }

    /** Completes once the commits made before the call are durable (at once when nothing waits to be); never blocks. */
    default CompletionStage<Void> durable() {
        return CompletableFuture.completedFuture(null);
    }
}
