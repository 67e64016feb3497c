package dev.strata.xep0054;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;
import dev.strata.testkit.MemoryStore;

/** XEP-0054 vcard-temp 1.2, §3.1 (retrieval, an empty vCard when none) and §3.2 (only the owner publishes). */
class VCardTempTest {
    final VCardTemp handler = new VCardTemp(new MemoryStore());
    final FakeSession alice = new FakeSession("alice@example.org/phone");
    final FakeSession bob = new FakeSession("bob@example.org/pc");
    static final Element CARD = Element.builder("vCard", VCardTemp.NS).child(Element.builder("FN", VCardTemp.NS).text("Alice").build()).build();

    @Test
    void theOwnerPublishesWithoutToAndAnyoneReadsAtTheBareJid() throws StanzaException {
        assertThat(handler.handle(Iqs.get(alice.jid().toString(), null, Element.of("vCard", VCardTemp.NS)), alice))
                .as("§3.1: no vCard yet is an empty one").isEqualTo(Element.of("vCard", VCardTemp.NS));
        assertThat(handler.handle(Iqs.set(alice.jid().toString(), null, CARD), alice)).isNull();
        assertThat(handler.handle(Iqs.get(alice.jid().toString(), null, Element.of("vCard", VCardTemp.NS)), alice)).isEqualTo(CARD);
        assertThat(handler.handle(Iqs.get(bob.jid().toString(), "alice@example.org", Element.of("vCard", VCardTemp.NS)), bob)).isEqualTo(CARD);
        assertThat(handler.handle(Iqs.set(alice.jid().toString(), "alice@example.org", CARD), alice)).isNull();
    }

    @Test
    void nobodyElsePublishesAnAccountsVCard() {
        assertThatThrownBy(() -> handler.handle(Iqs.set(bob.jid().toString(), "alice@example.org", CARD), bob))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.FORBIDDEN));
    }

    @Test
    void aPayloadThatIsNotAVCardIsABadRequest() {
        assertThatThrownBy(() -> handler.handle(Iqs.get(alice.jid().toString(), null, Element.of("card", "urn:x")), alice))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.BAD_REQUEST));
    }
}
