package dev.strata.storage.jdbc.internal;

import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.strata.api.storage.StorageException;

/**
 * Group commit for a database whose commit is not durable by itself (embedded H2: its MVStore
 * keeps commits in memory and writes them out in the background, so a {@code kill -9} loses what
 * was committed in the last moments). One thread flushes; every writer that committed waits for the
 * next flush that starts after its commit. Writers that commit while a flush runs share the one
 * after it, so a burst of N writes costs a few flushes, not N. Writers that do not wait
 * ({@link #committedWithoutWaiting}) get a flush within {@link #WITHOUT_WAITING_MS} anyway, and
 * whoever acknowledges their writes waits for {@link #durable()}. Why: bundles/README.md §5.
 */
public final class GroupCommit implements Durability, AutoCloseable {
    /** One flush of everything committed so far (H2: {@code MVStore.commit()}, then {@code sync()} to reach the disk). */
    @FunctionalInterface
    public interface Flush {
        void run() throws SQLException;
    }

    /** How long a commit whose writer does not wait stays in memory at most, when nobody asks for a flush. */
    static final long WITHOUT_WAITING_MS = 100;

    private final Flush flush;
    private final Runnable afterRound;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition requested = lock.newCondition();
    private final Thread flusher;
    private final AtomicLong flushes = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    /** The flush that waiters registered now will get; replaced when a flush starts. */
    private CompletableFuture<Void> next = new CompletableFuture<>();
    private boolean pending;
    /** Commits made without waiting since the last flush started. */
    private boolean dirty;
    /** The flush running now, or null. */
    private CompletableFuture<Void> running;
    private boolean closed;

    public GroupCommit(String name, Flush flush) {
        this(name, flush, () -> { });
    }

    /**
     * {@code afterRound}: housekeeping on the flusher thread once a round's writers are released (the
     * next round waits for it); it handles and logs its own failures.
     */
    public GroupCommit(String name, Flush flush, Runnable afterRound) {
        this.flush = flush;
        this.afterRound = afterRound;
        this.flusher = Thread.ofPlatform().daemon().name(name).start(this::loop);
    }

    @Override
    public void await() {
        CompletableFuture<Void> mine;
        lock.lock();
        try {
            if (closed) throw new StorageException("The database is closing: the write may not be durable");
            mine = next;
            pending = true;
            requested.signal();
        } finally {
            lock.unlock();
        }
        writes.incrementAndGet();
        try {
            mine.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof StorageException s ? s : new StorageException("Making a write durable failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public void committedWithoutWaiting() {
        lock.lock();
        try {
            if (!dirty) {
                dirty = true;
                requested.signal(); // the flusher starts counting WITHOUT_WAITING_MS
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public CompletionStage<Void> durable() {
        lock.lock();
        try {
            if (closed && dirty) return CompletableFuture.failedFuture(new StorageException("The database is closing: the writes may not be durable"));
            if (dirty) { // committed after the running flush started, if any: the next one
                pending = true;
                requested.signal();
                return next;
            }
            return running != null ? running : CompletableFuture.completedFuture(null);
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (true) {
            CompletableFuture<Void> round;
            lock.lock();
            try {
                while (!pending && !closed) {
                    if (!dirty) {
                        requested.awaitUninterruptibly();
                    } else if (!awaitNanos(TimeUnit.MILLISECONDS.toNanos(WITHOUT_WAITING_MS))) {
                        break; // nobody asked within the delay: flush what was committed without waiting
                    }
                }
                if (!pending && !dirty) return; // closed, and nothing waits
                round = next;
                running = round;
                next = new CompletableFuture<>();
                pending = false;
                dirty = false;
            } finally {
                lock.unlock();
            }
            try {
                flush.run(); // starts after every commit whose writer holds `round`
                flushes.incrementAndGet();
                finished(round, null);
            } catch (SQLException | RuntimeException e) {
                finished(round, new StorageException("Making writes durable failed: " + e.getMessage(), e));
            }
            afterRound.run(); // logs its own failures: the flusher must go on
        }
    }

    /** Waits for a signal up to {@code nanos}, the lock held; false when the time ran out first. */
    private boolean awaitNanos(long nanos) {
        try {
            return requested.awaitNanos(nanos) > 0;
        } catch (InterruptedException e) {
            return true; // the flusher is not interrupted by anyone but a shutdown; look again
        }
    }

    private void finished(CompletableFuture<Void> round, StorageException failure) {
        lock.lock();
        try {
            running = null;
        } finally {
            lock.unlock();
        }
        if (failure == null) round.complete(null);
        else round.completeExceptionally(failure);
    }

    /** Flushes run so far (each made one or more writes durable). */
    public long flushes() {
        return flushes.get();
    }

    /** Writes made durable (or refused) so far. */
    public long writes() {
        return writes.get();
    }

    /** Finishes the flush that writers wait for, then stops; later writes are refused. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            requested.signal();
        } finally {
            lock.unlock();
        }
        try {
            flusher.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
