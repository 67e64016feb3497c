package dev.strata.api.transport;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Gathers the writes one thread makes to many connections in a fan-out (a room's message to its
 * occupants, a PEP notification to the owner's contacts, a presence broadcast), so that each
 * connection's event loop is woken once for several of them instead of once for each.
 *
 * <p>A module wraps the loop that sends the copies: {@code WriteBatch.run(() -> { for (...)
 * router.deliver(copy, origin); })}. While it runs, a transport hands what a connection would have
 * queued on its event loop to {@link #offer} instead; the batch passes those to each event loop as
 * one task once {@value #MAX_HELD} are held for it, and the rest when {@code run} returns (also when
 * it throws). Each connection's writes keep their order, as do writes from this thread after the
 * batch. Nothing in the loop should wait for an answer to a copy it sent: the copy may still be
 * held. Nested calls join the batch already open.
 *
 * <p>The gain is in wakeups: a single event loop that is asleep is woken by a system call for each
 * task from another thread. A copy held here waits at most for the copies made after it in the same
 * loop, up to {@value #MAX_HELD} per event loop.
 */
public final class WriteBatch {
    /** Most tasks held for one event loop before they are passed on. */
    public static final int MAX_HELD = 16;

    private static final ThreadLocal<WriteBatch> CURRENT = new ThreadLocal<>();

    private final Map<Executor, List<Runnable>> held = new IdentityHashMap<>();

    private WriteBatch() {
    }

    /** What a fan-out does; it may throw a checked exception of one kind, which {@link #run} throws on. */
    @FunctionalInterface
    public interface FanOut<E extends Exception> {
        void run() throws E;
    }

    /** Runs {@code fanOut} with the writes it makes gathered per event loop, and passes them on before returning or throwing. */
    public static <E extends Exception> void run(FanOut<E> fanOut) throws E {
        if (CURRENT.get() != null) {
            fanOut.run();
            return;
        }
        WriteBatch batch = new WriteBatch();
        CURRENT.set(batch);
        try {
            fanOut.run();
        } finally {
            CURRENT.remove();
            batch.held.forEach(WriteBatch::pass);
        }
    }

    /** Whether a batch is open on this thread (a transport then calls {@link #offer}). */
    public static boolean active() {
        return CURRENT.get() != null;
    }

    /**
     * For transports: holds {@code task}, which must run on {@code loop}, in the batch open on this
     * thread and returns true; returns false when none is open (the caller runs or queues it as it
     * would have).
     */
    public static boolean offer(Executor loop, Runnable task) {
        WriteBatch batch = CURRENT.get();
        if (batch == null) return false;
        List<Runnable> tasks = batch.held.computeIfAbsent(loop, l -> new ArrayList<>(MAX_HELD));
        tasks.add(task);
        if (tasks.size() >= MAX_HELD) {
            batch.held.remove(loop);
            pass(loop, tasks);
        }
        return true;
    }

    /** One task on {@code loop} running {@code tasks} in order; each runs even when one before it threw. */
    private static void pass(Executor loop, List<Runnable> tasks) {
        Runnable all = () -> {
            RuntimeException first = null;
            for (Runnable t : tasks) {
                try {
                    t.run();
                } catch (RuntimeException e) {
                    if (first == null) first = e;
                    else first.addSuppressed(e);
                }
            }
            if (first != null) throw first;
        };
        try {
            loop.execute(all);
        } catch (RejectedExecutionException e) { // the loop is shutting down: the tasks see their channels closed
            all.run();
        }
    }
}
