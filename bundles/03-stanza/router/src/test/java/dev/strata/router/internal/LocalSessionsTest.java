package dev.strata.router.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.stanza.SessionRegistry.Binding;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.stanza.SessionRegistry.ConflictPolicy;
import dev.strata.testkit.FakeSession;

/** RFC 6120 §7.7.2.2 resource conflicts, and the bind/unbind contract the stream layer relies on. */
class LocalSessionsTest {
    static final Jid PHONE = Jid.of("alice@example.org/phone");
    final LocalSessions registry = new LocalSessions();

    @Test
    void replacingASessionHandsBackTheOldOneWhoseLateUnbindLeavesTheNewOneBound() {
        FakeSession old = new FakeSession(PHONE), fresh = new FakeSession(PHONE);
        assertThat(registry.bind(old, ConflictPolicy.REPLACE)).isEqualTo(new Binding.Bound(null));
        assertThat(registry.bind(fresh, ConflictPolicy.REPLACE)).isEqualTo(new Binding.Bound(old));
        // the replaced stream closes later: it must not unbind (nor broadcast unavailable for) the JID fresh holds
        assertThat(registry.unbind(old)).isFalse();
        assertThat(registry.find(PHONE)).containsSame(fresh);
        assertThat(registry.sessions(PHONE.bare())).containsExactly(fresh);
        assertThat(registry.unbind(fresh)).isTrue();
        assertThat(registry.sessions(PHONE.bare())).isEmpty();
        assertThat(registry.all()).isEmpty();
    }

    @Test
    void rejectKeepsTheFirstSession() {
        FakeSession first = new FakeSession(PHONE), second = new FakeSession(PHONE);
        registry.bind(first, ConflictPolicy.REJECT);
        assertThat(registry.bind(second, ConflictPolicy.REJECT)).isEqualTo(new Binding.Conflict(first));
        assertThat(registry.unbind(second)).isFalse();
        assertThat(registry.find(PHONE)).containsSame(first);
    }

    @Test
    void aClosedHolderDoesNotBlockABind() {
        FakeSession first = new FakeSession(PHONE), second = new FakeSession(PHONE);
        registry.bind(first, ConflictPolicy.REJECT);
        first.close(StreamError.SYSTEM_SHUTDOWN, null);
        assertThat(registry.bind(second, ConflictPolicy.REJECT)).isInstanceOf(Binding.Bound.class);
    }

    @RepeatedTest(20)
    void ofTwoSimultaneousBindsOfOneFullJidExactlyOneHoldsIt() throws Exception {
        int n = 8;
        List<FakeSession> sessions = new ArrayList<>();
        for (int i = 0; i < n; i++) sessions.add(new FakeSession(PHONE));
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger bound = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (FakeSession s : sessions) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                if (registry.bind(s, ConflictPolicy.REJECT) instanceof Binding.Bound) bound.incrementAndGet();
            }));
        }
        start.countDown();
        for (Thread t : threads) t.join();
        assertThat(bound.get()).isEqualTo(1);
        assertThat(registry.sessions(PHONE.bare())).hasSize(1).containsExactly(registry.find(PHONE).orElseThrow());
    }
}
