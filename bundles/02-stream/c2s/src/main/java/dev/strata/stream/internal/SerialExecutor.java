package dev.strata.stream.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one session's work strictly in order on a virtual thread that exists only while there is
 * work: an idle session owns no thread. {@link #pending()} lets the owner apply
 * back-pressure on the socket. The threading model: bundles/README.md §4.
 */
final class SerialExecutor implements Executor {
    private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);

    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicInteger pending = new AtomicInteger();
    private final String name;

    SerialExecutor(String name) {
        this.name = name;
    }

    @Override
    public void execute(Runnable task) {
        queue.add(task);
        pending.incrementAndGet();
        schedule();
    }

    private void schedule() {
        if (!queue.isEmpty() && running.compareAndSet(false, true)) {
            Thread.ofVirtual().name(name).start(this::drain);
        }
    }

    private void drain() {
        try {
            Runnable r;
            while ((r = queue.poll()) != null) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.error("Unexpected failure in {}", name, e);
                } finally {
                    pending.decrementAndGet();
                }
            }
        } finally {
            running.set(false);
            schedule(); // a task may have arrived between the last poll and the flag reset
        }
    }

    int pending() {
        return pending.get();
    }
}
