package dev.strata.xep0398;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.module.DocumentListener;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.Xml;
import dev.strata.pubsub.PubSubEngine;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.MemoryStore;

class AvatarConversionTest {
    static final Jid ALICE = Jid.of("alice@example.org");
    static final byte[] IMAGE = "not really a png".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    static final String B64 = Base64.getEncoder().encodeToString(IMAGE);
    static final String SHA = AvatarConversion.sha1(IMAGE);

    /** Items per node, publishes recorded (the part of the engine the conversion uses). */
    static final class Pep implements PubSubEngine {
        final Map<String, Map<String, Item>> nodes = new LinkedHashMap<>();
        final List<String> published = new ArrayList<>();

        @Override public void publish(Jid service, String node, String itemId, Element payload, Jid publisher, Map<String, String> newNode) {
            nodes.computeIfAbsent(node, n -> new LinkedHashMap<>()).put(itemId, new Item(itemId, publisher, payload));
            published.add(node + " " + itemId);
        }
        @Override public List<Item> items(Jid service, String node) { return List.copyOf(nodes.getOrDefault(node, Map.of()).values()); }
        @Override public Optional<Item> item(Jid service, String node, String itemId) { return Optional.ofNullable(nodes.getOrDefault(node, Map.of()).get(itemId)); }
        @Override public boolean retract(Jid service, String node, String itemId) { return false; }
        @Override public Element handle(Iq iq, Jid service, Jid requester) { throw new UnsupportedOperationException(); }
        @Override public boolean serves(Jid service) { return true; }
        @Override public Element nodeInfo(Jid service, String node, Jid requester) { throw new UnsupportedOperationException(); }
        @Override public List<Element> discoItems(Jid service, String node, Jid requester) { throw new UnsupportedOperationException(); }
        @Override public List<Notification> lastItems(Jid service, Jid requester) { return List.of(); }
        @Override public List<NodeSummary> nodes(Jid service) { return List.of(); }
        @Override public int purge(Jid service, String node) { return 0; }
        @Override public void deleteService(Jid service) { }
        @Override public boolean message(Jid service, Element message, Jid from) { return false; }
        @Override public void forget(Jid jid) { }
    }

    final MemoryStore store = new MemoryStore();
    final Pep pep = new Pep();
    final AvatarConversion conversion = new AvatarConversion(store, dev.strata.pubsub.LazyEngine.of(pep));
    final FakeSession phone = new FakeSession("alice@example.org/phone");

    Element presence(String xml) throws Exception {
        return conversion.filter(Xml.parse(xml), StanzaContext.of(phone));
    }

    @Test
    void aPepAvatarBecomesTheVCardPhotoAndItsHashGoesIntoPresence() throws Exception {
        assertThat(presence("<presence xmlns='jabber:client'/>").toXml()).doesNotContain("vcard-temp:x:update"); // no avatar yet
        pep.publish(ALICE, AvatarConversion.DATA, SHA, Element.builder("data", AvatarConversion.DATA).text(B64).build(), ALICE, Map.of());
        Element metadata = Xml.parse("<metadata xmlns='urn:xmpp:avatar:metadata'><info id='" + SHA + "' type='image/jpeg' bytes='16'/></metadata>");
        conversion.changed(ALICE, AvatarConversion.METADATA, SHA, metadata, false, ALICE);
        Element vcard = store.get(ALICE, DocumentListener.VCARD, "current").orElseThrow();
        assertThat(vcard.toXml()).contains("<TYPE>image/jpeg</TYPE>", "<BINVAL>" + B64 + "</BINVAL>");
        assertThat(presence("<presence xmlns='jabber:client'><x xmlns='vcard-temp:x:update'/></presence>").toXml()).contains("<photo>" + SHA + "</photo>");
        // the client's own empty photo ("no avatar shown") is left alone, and so is any presence with a type
        assertThat(presence("<presence xmlns='jabber:client'><x xmlns='vcard-temp:x:update'><photo/></x></presence>").toXml()).doesNotContain(SHA);
        assertThat(presence("<presence xmlns='jabber:client' type='unavailable'/>").toXml()).doesNotContain(SHA);
        // metadata whose data does not hash to its id changes nothing
        pep.publish(ALICE, AvatarConversion.DATA, "0000", Element.builder("data", AvatarConversion.DATA).text(B64).build(), ALICE, Map.of());
        conversion.changed(ALICE, AvatarConversion.METADATA, "0000", Xml.parse("<metadata xmlns='urn:xmpp:avatar:metadata'><info id='0000' type='image/png' bytes='16'/></metadata>"), false, ALICE);
        assertThat(store.get(ALICE, DocumentListener.VCARD, "current").orElseThrow()).isEqualTo(vcard);
        // empty metadata: the avatar is gone from the vCard too
        conversion.changed(ALICE, AvatarConversion.METADATA, "x", Xml.parse("<metadata xmlns='urn:xmpp:avatar:metadata'/>"), false, ALICE);
        assertThat(store.get(ALICE, DocumentListener.VCARD, "current").orElseThrow().toXml()).doesNotContain("PHOTO");
    }

    @Test
    void aVCardPhotoIsPublishedAsAPepAvatarOnce() throws Exception {
        Element vcard = Xml.parse("<vCard xmlns='vcard-temp'><FN>Alice</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>" + B64 + "</BINVAL></PHOTO></vCard>");
        conversion.stored(ALICE, DocumentListener.VCARD, "current", vcard);
        assertThat(pep.published).containsExactly(AvatarConversion.DATA + " " + SHA, AvatarConversion.METADATA + " " + SHA);
        assertThat(pep.item(ALICE, AvatarConversion.METADATA, SHA).orElseThrow().payload().toXml()).contains("bytes=\"" + IMAGE.length + "\"", "type=\"image/png\"");
        conversion.stored(ALICE, DocumentListener.VCARD, "current", vcard); // the same photo again: nothing new
        assertThat(pep.published).hasSize(2);
        assertThat(presence("<presence xmlns='jabber:client'/>").toXml()).contains("<photo>" + SHA + "</photo>");
    }
}
