package dev.strata.xep0133;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.StorageException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;
import dev.strata.testkit.FakeServer;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.MemoryAccounts;

/** XEP-0133 §4.1 Add User and §4.7 Change User Password, with the account JID checks they share. */
class AddUserTest {
    final MemoryAccounts accounts = new MemoryAccounts().with("taken@example.org");
    final FakeServer server = FakeServer.of("example.org");
    final FakeSession admin = new FakeSession("admin@example.org/console");

    static Element submit(String jid, String password, String verify) {
        Element.Builder f = DataForm.form("submit", Admin.FORM_TYPE, null);
        if (jid != null) f.child(DataForm.field("accountjid", null, null, false, List.of(jid)));
        if (password != null) f.child(DataForm.field("password", null, null, false, List.of(password)));
        if (verify != null) f.child(DataForm.field("password-verify", null, null, false, List.of(verify)));
        return f.build();
    }

    @Test
    void createsTheAccount() throws StanzaException {
        new AddUser(accounts, server).complete(submit("new@example.org", "pw-1", "pw-1"), admin);
        assertThat(accounts.verifyPassword(Jid.of("new@example.org"), "pw-1")).isTrue();
    }

    /** Columns: accountjid, password, password-verify, the error. */
    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("taken@example.org", "pw", "pw", StanzaError.CONFLICT),
                Arguments.of("new@example.org", "pw", "other", StanzaError.BAD_REQUEST),
                Arguments.of(null, "pw", "pw", StanzaError.BAD_REQUEST),
                Arguments.of("new@elsewhere.net", "pw", "pw", StanzaError.NOT_ALLOWED),
                Arguments.of("example.org", "pw", "pw", StanzaError.BAD_REQUEST),
                Arguments.of("new@example.org/res", "pw", "pw", StanzaError.BAD_REQUEST),
                Arguments.of("a@@b", "pw", "pw", StanzaError.JID_MALFORMED));
    }

    @ParameterizedTest(name = "{0} -> {3}")
    @MethodSource("refusals")
    void refusesWithTheRightCondition(String jid, String password, String verify, StanzaError error) {
        assertThatThrownBy(() -> new AddUser(accounts, server).complete(submit(jid, password, verify), admin))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(error));
    }

    @Test
    void changingThePasswordOfNoAccountIsItemNotFound() {
        assertThatThrownBy(() -> new ChangeUserPassword(accounts, server).complete(submit("nobody@example.org", "pw", null), admin))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.ITEM_NOT_FOUND));
    }

    /** A database outage is not "exists already" nor "no such account": it goes up, and the router answers internal-server-error. */
    @Test
    void aStorageOutageIsNotMistakenForAnAnswer() {
        AccountStore down = new MemoryAccounts() {
            @Override
            public synchronized void create(Jid user, String password) {
                throw new StorageException("database down");
            }

            @Override
            public synchronized void changePassword(Jid user, String password) {
                throw new StorageException("database down");
            }
        };
        assertThatThrownBy(() -> new AddUser(down, server).complete(submit("new@example.org", "pw", "pw"), admin)).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> new ChangeUserPassword(down, server).complete(submit("taken@example.org", "pw", null), admin))
                .isInstanceOf(StorageException.class);
    }
}
