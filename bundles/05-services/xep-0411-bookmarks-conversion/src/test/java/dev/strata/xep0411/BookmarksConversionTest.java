package dev.strata.xep0411;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.module.DocumentListener;
import dev.strata.api.stanza.Iq;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.Xml;
import dev.strata.pubsub.PubSubEngine;
import dev.strata.testkit.MemoryStore;

class BookmarksConversionTest {
    static final Jid ALICE = Jid.of("alice@example.org");

    /** The part of the engine the conversion uses: items per node, publishes and retractions recorded. */
    static final class Pep implements PubSubEngine {
        final Map<String, Map<String, Item>> nodes = new LinkedHashMap<>();
        final List<String> log = new ArrayList<>();

        @Override public void publish(Jid service, String node, String itemId, Element payload, Jid publisher, Map<String, String> newNode) {
            nodes.computeIfAbsent(node, n -> new LinkedHashMap<>()).remove(itemId);
            nodes.get(node).put(itemId, new Item(itemId, publisher, payload));
            log.add("publish " + node + " " + itemId + (newNode.isEmpty() ? "" : " " + newNode.get("pubsub#access_model")));
        }
        @Override public boolean retract(Jid service, String node, String itemId) {
            log.add("retract " + node + " " + itemId);
            return nodes.getOrDefault(node, Map.of()).remove(itemId) != null;
        }
        @Override public List<Item> items(Jid service, String node) { return List.copyOf(nodes.getOrDefault(node, Map.of()).values()); }
        @Override public Optional<Item> item(Jid service, String node, String itemId) { return Optional.ofNullable(nodes.getOrDefault(node, Map.of()).get(itemId)); }
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
    final BookmarksConversion conversion = new BookmarksConversion(store, dev.strata.pubsub.LazyEngine.of(pep));

    static Element privateXml(String conferences) throws Exception {
        return Xml.parse("<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>" + conferences + "</storage></query>");
    }

    @Test
    void xep0048InPrivateXmlBecomesOneXep0402ItemPerRoomAndOnlyChangesAreSent() throws Exception {
        conversion.stored(ALICE, DocumentListener.PRIVATE, "storage:bookmarks", privateXml(
                "<conference jid='a@muc.example.org' name='A' autojoin='true'><nick>al</nick></conference><conference jid='b@muc.example.org'/>"));
        assertThat(pep.log).containsExactly("publish urn:xmpp:bookmarks:1 a@muc.example.org whitelist", "publish urn:xmpp:bookmarks:1 b@muc.example.org whitelist",
                "publish storage:bookmarks current whitelist");
        assertThat(pep.items(ALICE, "urn:xmpp:bookmarks:1").getFirst().payload().toXml()).contains("name=\"A\"", "autojoin=\"true\"", "<nick>al</nick>");
        pep.log.clear();
        // b unchanged, a gone, c new: one publish, one retraction
        conversion.stored(ALICE, DocumentListener.PRIVATE, "storage:bookmarks", privateXml("<conference jid='b@muc.example.org'/><conference jid='c@muc.example.org'/>"));
        assertThat(pep.log).containsExactly("publish urn:xmpp:bookmarks:1 c@muc.example.org whitelist", "retract urn:xmpp:bookmarks:1 a@muc.example.org",
                "publish storage:bookmarks current whitelist");
        // other private XML is none of its business
        pep.log.clear();
        conversion.stored(ALICE, DocumentListener.PRIVATE, "urn:example:notes", Xml.parse("<query xmlns='jabber:iq:private'><n xmlns='urn:example:notes'/></query>"));
        assertThat(pep.log).isEmpty();
    }

    @Test
    void aXep0402PublishRewritesThePrivateXmlList() throws Exception {
        pep.publish(ALICE, "urn:xmpp:bookmarks:1", "x@muc.example.org", Xml.parse("<conference xmlns='urn:xmpp:bookmarks:1' name='X'><nick>me</nick></conference>"), ALICE, Map.of());
        conversion.changed(ALICE, "urn:xmpp:bookmarks:1", "x@muc.example.org", pep.items(ALICE, "urn:xmpp:bookmarks:1").getFirst().payload(), false, ALICE);
        Element stored = store.get(ALICE, DocumentListener.PRIVATE, "storage:bookmarks").orElseThrow();
        assertThat(stored.toXml()).contains("jid=\"x@muc.example.org\"", "name=\"X\"", "autojoin=\"false\"", "<nick>me</nick>");
        assertThat(pep.log).last().isEqualTo("publish storage:bookmarks current whitelist");
    }
}
