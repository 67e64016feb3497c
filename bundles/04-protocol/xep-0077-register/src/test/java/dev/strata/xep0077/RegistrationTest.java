package dev.strata.xep0077;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeServer;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;
import dev.strata.testkit.MemoryAccounts;

/** XEP-0077 In-Band Registration 2.4 after authentication: §3.3 password change, §3.2 cancellation, and what policy forbids. */
class RegistrationTest {
    final MemoryAccounts accounts = new MemoryAccounts().with("alice@example.org", "bob@example.org");
    final FakeSession phone = new FakeSession("alice@example.org/phone");

    Registration registration(Map<String, Object> config) {
        return new Registration(Configs.of(Registration.Config.class, config), accounts, FakeServer.of("example.org"));
    }

    static Element query(Element... children) {
        return Element.builder("query", Registration.NS).children(java.util.List.of(children)).build();
    }

    static Element field(String name, String value) {
        return Element.builder(name, Registration.NS).text(value).build();
    }

    Registration r;

    @BeforeEach
    void setUp() {
        r = registration(Map.of());
    }

    @Test
    void theAccountChangesItsPassword() throws StanzaException {
        r.handle(Iqs.set(phone.jid().toString(), "example.org", query(field("username", "alice"), field("password", "new-pw"))), phone);
        assertThat(accounts.verifyPassword(Jid.of("alice@example.org"), "new-pw")).isTrue();
    }

    @Test
    void anotherUsernameOrAnEmptyPasswordIsABadRequest() {
        assertThatThrownBy(() -> r.handle(Iqs.set(phone.jid().toString(), null, query(field("username", "bob"), field("password", "x"))), phone))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.BAD_REQUEST));
        assertThatThrownBy(() -> r.handle(Iqs.set(phone.jid().toString(), null, query(field("username", "alice"), field("password", ""))), phone))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.BAD_REQUEST));
        assertThat(accounts.verifyPassword(Jid.of("bob@example.org"), "pw")).isTrue();
    }

    @Test
    void cancellingDeletesTheAccount() throws StanzaException {
        // its sessions are closed by the AccountDeletion services the store calls (the router's)
        assertThat(r.handle(Iqs.set(phone.jid().toString(), null, query(Element.of("remove", Registration.NS))), phone)).isNull();
        assertThat(accounts.exists(Jid.of("alice@example.org"))).isFalse();
    }

    @Test
    void policyCanForbidBoth() {
        Registration strict = registration(Map.of("allow.cancel", false, "allow.password.change", false));
        assertThatThrownBy(() -> strict.handle(Iqs.set(phone.jid().toString(), null, query(Element.of("remove", Registration.NS))), phone))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.NOT_ALLOWED));
        assertThatThrownBy(() -> strict.handle(Iqs.set(phone.jid().toString(), null, query(field("password", "x"))), phone))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.NOT_ALLOWED));
        assertThat(accounts.exists(Jid.of("alice@example.org"))).isTrue();
    }
}
