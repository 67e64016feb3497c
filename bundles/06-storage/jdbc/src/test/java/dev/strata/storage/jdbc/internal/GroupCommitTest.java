package dev.strata.storage.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.strata.api.storage.StorageException;

class GroupCommitTest {

    @Test
    void aWriterReturnsOnlyAfterAFlushThatStartedAfterItsCommit() throws Exception {
        AtomicLong committed = new AtomicLong();
        AtomicLong flushedUpTo = new AtomicLong();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        try (GroupCommit gc = new GroupCommit("test-flush", () -> {
            long upTo = committed.get(); // what this flush covers: everything committed before it started
            sleep(2);
            flushedUpTo.accumulateAndGet(upTo, Math::max);
        })) {
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                writers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 200; i++) {
                        long mine = committed.incrementAndGet();
                        gc.await();
                        if (flushedUpTo.get() < mine) failures.add(new AssertionError("write " + mine + " returned before a flush covered it"));
                    }
                }));
            }
            for (Thread t : writers) t.join();
            assertThat(failures).isEmpty();
            assertThat(gc.writes()).isEqualTo(1600);
            assertThat(gc.flushes()).as("writers that commit during a flush share the next one").isLessThan(1600).isPositive();
        }
    }

    @Test
    void aFailedFlushFailsItsWritersAndTheNextOneWorks() {
        AtomicBoolean broken = new AtomicBoolean(true);
        try (GroupCommit gc = new GroupCommit("test-flush", () -> {
            if (broken.get()) throw new SQLException("No space left on device");
        })) {
            assertThatThrownBy(gc::await).isInstanceOf(StorageException.class).hasMessageContaining("No space left on device");
            broken.set(false);
            gc.await();
            assertThat(gc.flushes()).isEqualTo(1);
        }
    }

    @Test
    void afterCloseWritesAreRefusedNotSilentlyAcknowledged() {
        GroupCommit gc = new GroupCommit("test-flush", () -> { });
        gc.await();
        gc.close();
        assertThatThrownBy(gc::await).isInstanceOf(StorageException.class).hasMessageContaining("closing");
    }

    @Test
    void commitsWithoutWaitingAreFlushedSoonAndDurableSaysWhen() throws Exception {
        AtomicLong committed = new AtomicLong();
        AtomicLong flushedUpTo = new AtomicLong();
        try (GroupCommit gc = new GroupCommit("test-flush", () -> {
            long upTo = committed.get();
            sleep(5);
            flushedUpTo.accumulateAndGet(upTo, Math::max);
        })) {
            assertThat(gc.durable().toCompletableFuture()).as("nothing to wait for").isDone();
            assertThat(gc.flushes()).isZero();
            // a burst of writes that do not wait: none of them flushes by itself
            for (int i = 0; i < 100; i++) {
                committed.incrementAndGet();
                gc.committedWithoutWaiting();
            }
            assertThat(gc.flushes()).isZero();
            // whoever acknowledges them waits for one flush that covers them all
            var durable = gc.durable().toCompletableFuture();
            durable.get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(flushedUpTo.get()).isEqualTo(100);
            assertThat(gc.flushes()).isEqualTo(1);
            assertThat(gc.durable().toCompletableFuture()).as("flushed: nothing to wait for").isDone();
            // and with nobody asking, the flusher writes them within its delay
            committed.incrementAndGet();
            gc.committedWithoutWaiting();
            long t0 = System.nanoTime();
            while (flushedUpTo.get() < 101 && System.nanoTime() - t0 < 5_000_000_000L) sleep(5);
            assertThat(flushedUpTo.get()).isEqualTo(101);
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(GroupCommit.WITHOUT_WAITING_MS + 1_000);
            assertThat(gc.flushes()).isEqualTo(2);
        }
    }

    @Test
    void closingFlushesWhatWasCommittedWithoutWaiting() {
        AtomicLong flushes = new AtomicLong();
        GroupCommit gc = new GroupCommit("test-flush", flushes::incrementAndGet);
        gc.committedWithoutWaiting();
        gc.close();
        assertThat(flushes.get()).isEqualTo(1);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void housekeepingRunsBetweenRoundsAfterTheWritersAreReleased() throws Exception {
        java.util.concurrent.CountDownLatch housekeepingMayEnd = new java.util.concurrent.CountDownLatch(1);
        AtomicLong rounds = new AtomicLong();
        try (GroupCommit gc = new GroupCommit("test-flush", rounds::incrementAndGet, () -> {
            try {
                housekeepingMayEnd.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            gc.await(); // released although the housekeeping after its round has not ended
            assertThat(rounds.get()).isEqualTo(1);
            Thread second = Thread.ofPlatform().start(gc::await);
            second.join(300);
            assertThat(second.isAlive()).as("the next round waits for the housekeeping").isTrue();
            housekeepingMayEnd.countDown();
            second.join(10_000);
            assertThat(rounds.get()).isEqualTo(2);
        }
    }
}
