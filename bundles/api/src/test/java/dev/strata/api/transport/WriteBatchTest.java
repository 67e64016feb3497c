package dev.strata.api.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import org.junit.jupiter.api.Test;

/** A fan-out's writes reach each event loop as few tasks, in order, and none is lost when the fan-out or a write fails. */
class WriteBatchTest {

    /** An event loop that keeps the tasks it is given, to run them when told. */
    static final class Loop implements Executor {
        final List<Runnable> queued = new ArrayList<>();

        @Override
        public void execute(Runnable task) {
            queued.add(task);
        }

        void runAll() {
            List<Runnable> now = List.copyOf(queued);
            queued.clear();
            now.forEach(Runnable::run);
        }
    }

    @Test
    void withoutABatchNothingIsHeld() {
        assertThat(WriteBatch.active()).isFalse();
        assertThat(WriteBatch.offer(new Loop(), () -> { })).isFalse();
    }

    @Test
    void eachLoopGetsOneTaskWithItsWritesInOrderWhenTheFanOutEnds() {
        Loop a = new Loop(), b = new Loop();
        List<String> written = new ArrayList<>();
        WriteBatch.run(() -> {
            assertThat(WriteBatch.active()).isTrue();
            for (int i = 0; i < 5; i++) {
                int n = i;
                assertThat(WriteBatch.offer(a, () -> written.add("a" + n))).isTrue();
                assertThat(WriteBatch.offer(b, () -> written.add("b" + n))).isTrue();
            }
            assertThat(a.queued).as("held until the fan-out ends").isEmpty();
        });
        assertThat(WriteBatch.active()).isFalse();
        assertThat(a.queued).hasSize(1);
        assertThat(b.queued).hasSize(1);
        a.runAll();
        b.runAll();
        assertThat(written).containsExactly("a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2", "b3", "b4");
    }

    @Test
    void aLoopGetsItsTasksOnceEnoughAreHeldAndTheRestAtTheEnd() {
        Loop a = new Loop();
        List<Integer> written = new ArrayList<>();
        WriteBatch.run(() -> {
            for (int i = 0; i < WriteBatch.MAX_HELD + 3; i++) {
                int n = i;
                WriteBatch.offer(a, () -> written.add(n));
                if (i == WriteBatch.MAX_HELD - 1) assertThat(a.queued).as("passed on at " + WriteBatch.MAX_HELD).hasSize(1);
            }
        });
        assertThat(a.queued).hasSize(2);
        a.runAll();
        assertThat(written).hasSize(WriteBatch.MAX_HELD + 3).isSorted();
    }

    @Test
    void aNestedFanOutJoinsTheOpenBatch() {
        Loop a = new Loop();
        WriteBatch.run(() -> {
            WriteBatch.offer(a, () -> { });
            WriteBatch.run(() -> WriteBatch.offer(a, () -> { }));
            assertThat(a.queued).as("the inner run does not pass the outer batch's writes on").isEmpty();
        });
        assertThat(a.queued).hasSize(1);
    }

    @Test
    void aFailingFanOutStillPassesOnWhatItWroteAndThrowsOn() {
        Loop a = new Loop();
        List<String> written = new ArrayList<>();
        assertThatThrownBy(() -> WriteBatch.<IOException>run(() -> {
            WriteBatch.offer(a, () -> written.add("before the failure"));
            throw new IOException("storage failed");
        })).isInstanceOf(IOException.class).hasMessage("storage failed");
        assertThat(WriteBatch.active()).isFalse();
        a.runAll();
        assertThat(written).containsExactly("before the failure");
    }

    @Test
    void aWriteThatThrowsDoesNotStopTheOthers() {
        Loop a = new Loop();
        List<Integer> written = new ArrayList<>();
        WriteBatch.run(() -> {
            WriteBatch.offer(a, () -> written.add(1));
            WriteBatch.offer(a, () -> {
                throw new IllegalStateException("channel gone");
            });
            WriteBatch.offer(a, () -> written.add(3));
        });
        assertThatThrownBy(a::runAll).isInstanceOf(IllegalStateException.class).hasMessage("channel gone");
        assertThat(written).containsExactly(1, 3);
    }

    @Test
    void aLoopThatRefusesTasksHasThemRunOnTheCallingThread() {
        List<Integer> written = new ArrayList<>();
        Executor closed = task -> {
            throw new RejectedExecutionException("shut down");
        };
        WriteBatch.run(() -> WriteBatch.offer(closed, () -> written.add(1)));
        assertThat(written).containsExactly(1);
    }
}
