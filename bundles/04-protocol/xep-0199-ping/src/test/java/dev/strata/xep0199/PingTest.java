package dev.strata.xep0199;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;

/** XEP-0199 XMPP Ping 2.0.1 §4.2: the server answers a ping with an empty result. */
class PingTest {
    @Test
    void aPingGetsAnEmptyResult() throws StanzaException {
        FakeSession alice = new FakeSession("alice@example.org/phone");
        assertThat(new Ping().handle(Iqs.get(alice.jid().toString(), "example.org", Element.of("ping", "urn:xmpp:ping")), alice)).isNull();
    }
}
