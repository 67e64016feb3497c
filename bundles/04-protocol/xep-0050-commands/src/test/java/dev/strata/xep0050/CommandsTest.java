package dev.strata.xep0050;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.module.AdHocCommand;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;
import dev.strata.testkit.FakeServer;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;

/** XEP-0050 Ad-Hoc Commands 1.3.0: execute, complete or cancel a one-step command; administrators only where it says so (§4.6 errors). */
class CommandsTest {
    final Commands commands = new Commands(FakeServer.of("example.org").withAdmins(Jid.of("admin@example.org")));
    final FakeSession admin = new FakeSession("admin@example.org/console");
    final FakeSession user = new FakeSession("user@example.org/phone");

    CommandsTest() {
        AdHocCommand echo = new AdHocCommand() {
            @Override
            public Element form(Origin from) {
                return DataForm.form("form", null, "Echo").child(DataForm.field("text", "text-single", "Text", true, List.of())).build();
            }

            @Override
            public Completion complete(Element submitted, Origin from) throws StanzaException {
                String text = DataForm.value(submitted, "text").orElseThrow(() -> new StanzaException(StanzaError.BAD_REQUEST, "no text"));
                return new Completion("echo: " + text, null);
            }
        };
        commands.addCommand(echo, Map.of(AdHocCommand.NODE, "echo", AdHocCommand.NAME, "Echo", AdHocCommand.ADMIN, true));
    }

    static Element command(String action, String sessionId, Element form) {
        Element.Builder c = Element.builder("command", Commands.NS).attribute("node", "echo");
        if (action != null) c.attribute("action", action);
        if (sessionId != null) c.attribute("sessionid", sessionId);
        if (form != null) c.child(form);
        return c.build();
    }

    static Element submit(String text) {
        return DataForm.form("submit", null, null).child(DataForm.field("text", null, null, false, List.of(text))).build();
    }

    @Test
    void executeThenCompleteRunsTheCommandInItsSession() throws StanzaException {
        Element started = commands.handle(Iqs.set(admin.jid().toString(), "example.org", command(null, null, null)), admin);
        assertThat(started.attribute("status")).isEqualTo("executing");
        String id = started.attribute("sessionid");
        Element done = commands.handle(Iqs.set(admin.jid().toString(), "example.org", command("complete", id, submit("hello"))), admin);
        assertThat(done.attribute("status")).isEqualTo("completed");
        assertThat(done.toXml()).contains("echo: hello");
        assertThatThrownBy(() -> commands.handle(Iqs.set(admin.jid().toString(), "example.org", command("complete", id, submit("again"))), admin))
                .as("§4.6: a finished session is gone").hasMessageContaining("No such command session");
    }

    @Test
    void onlyAdministratorsSeeAndRunAdminCommands() throws StanzaException {
        assertThat(commands.items(user)).isEmpty();
        assertThat(commands.items(admin)).hasSize(1);
        assertThatThrownBy(() -> commands.handle(Iqs.set(user.jid().toString(), "example.org", command(null, null, null)), user))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.FORBIDDEN));
    }

    @Test
    void anotherUserCannotCompleteSomeoneElsesSessionAndCancelEndsIt() throws StanzaException {
        String id = commands.handle(Iqs.set(admin.jid().toString(), "example.org", command(null, null, null)), admin).attribute("sessionid");
        FakeSession otherAdmin = new FakeSession("admin@example.org/laptop");
        assertThatThrownBy(() -> commands.handle(Iqs.set(otherAdmin.jid().toString(), "example.org", command("complete", id, submit("x"))), otherAdmin))
                .hasMessageContaining("No such command session");
        assertThat(commands.handle(Iqs.set(admin.jid().toString(), "example.org", command("cancel", id, null)), admin).attribute("status"))
                .isEqualTo("canceled");
        assertThatThrownBy(() -> commands.handle(Iqs.set(admin.jid().toString(), "example.org", command("complete", id, null)), admin))
                .hasMessageContaining("No such command session");
    }
}
