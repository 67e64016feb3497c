package dev.strata.api.transport;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a stream layer does with the stanzas of a peer that sends for many (a component, another
 * server): each is handled in the order it came, on a virtual thread of the stream's own (the
 * connection's event loop never waits on storage), and reading from the connection pauses while
 * more than 1000 wait and resumes below 100.
 */
public final class OrderedIntake {
    private static final int PAUSE = 1000, RESUME = 100;

    private final Connection conn;
    private final ExecutorService worker;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile boolean paused;

    public OrderedIntake(Connection conn, String threadName) {
        this.conn = conn;
        this.worker = Executors.newSingleThreadExecutor(Thread.ofVirtual().name(threadName).factory());
    }

    /** Runs {@code task} after those submitted before it. */
    public void submit(Runnable task) {
        if (pending.incrementAndGet() > PAUSE && !paused) {
            paused = true;
            conn.pauseReading();
        }
        worker.execute(() -> {
            try {
                task.run();
            } finally {
                if (pending.decrementAndGet() < RESUME && paused) {
                    paused = false;
                    conn.resumeReading();
                }
            }
        });
    }

    /** What was submitted still runs; nothing more is taken. */
    public void shutdown() {
        worker.shutdown();
    }
}
