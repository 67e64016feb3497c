package dev.strata.router.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.stanza.SessionRegistry.ConflictPolicy;
import dev.strata.api.stanza.StreamError;
import dev.strata.testkit.FakeSession;

class DeletedAccountSessionsTest {
    @Test
    void everySessionOfADeletedAccountEndsAndNoOtherOne() {
        LocalSessions registry = new LocalSessions();
        FakeSession phone = new FakeSession("alice@example.org/phone"), laptop = new FakeSession("alice@example.org/laptop");
        FakeSession bob = new FakeSession("bob@example.org/pc");
        for (FakeSession s : new FakeSession[] {phone, laptop, bob}) registry.bind(s, ConflictPolicy.REJECT);
        new DeletedAccountSessions(registry).deleting(Jid.of("alice@example.org"));
        assertThat(phone.closedWith()).isEqualTo(StreamError.NOT_AUTHORIZED);
        assertThat(laptop.closedWith()).isEqualTo(StreamError.NOT_AUTHORIZED);
        assertThat(bob.closedWith()).isNull();
    }
}
