package dev.strata.xep0092;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;

/** XEP-0092 Software Version 1.1 §2: name and version always, os only when the operator allows it. */
class VersionTest {
    private final FakeSession alice = new FakeSession("alice@example.org/phone");

    private Element ask(Version version) throws StanzaException {
        return version.handle(Iqs.get(alice.jid().toString(), "example.org", Element.of("query", Version.NS)), alice);
    }

    @Test
    void answersNameAndVersionAndHidesTheOsByDefault() throws StanzaException {
        Element q = ask(new Version("1.2.3", false));
        assertThat(q.name()).isEqualTo("query");
        assertThat(q.child("name", Version.NS).orElseThrow().text()).isEqualTo("Strata");
        assertThat(q.child("version", Version.NS).orElseThrow().text()).isEqualTo("1.2.3");
        assertThat(q.child("os", Version.NS)).isEmpty();
    }

    @Test
    void tellsTheOsWhenAllowed() throws StanzaException {
        Element q = ask(new Version("1.2.3", true));
        assertThat(q.child("os", Version.NS).orElseThrow().text()).startsWith(System.getProperty("os.name"));
    }
}
