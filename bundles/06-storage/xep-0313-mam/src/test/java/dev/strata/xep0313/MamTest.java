package dev.strata.xep0313;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.storage.MamQuery;
import dev.strata.api.Jid;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.ArchiveStore;
import dev.strata.api.stream.StreamAcks;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.Xml;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.H2Database;
import dev.strata.testkit.Iqs;
import dev.strata.testkit.MemoryStore;

class MamTest {
    private static final Jid ALICE = Jid.of("alice@example.org");
    private static final Jid BOB = Jid.of("bob@example.org/desk");
    private H2Database db;
    private SqlArchive archive;
    private Mam mam;
    private final FakeSession alice = new FakeSession("alice@example.org/phone");

    @BeforeEach
    void setUp() throws Exception {
        db = new H2Database("mam" + System.nanoTime());
        archive = new SqlArchive(db);
        mam = new Mam(Configs.of(Mam.Config.class, Map.of("default.policy", "always", "max.page.size", 20)), archive, new MemoryStore());
    }

    @AfterEach
    void tearDown() throws Exception {
        mam.deactivate();
        archive.stop();
        db.close();
    }

    private static Element chat(String from, String to, String body) {
        return Element.builder("message", "jabber:client").attribute("type", "chat").attribute("from", from).attribute("to", to)
                .child(Element.builder("body", "jabber:client").text(body).build()).build();
    }

    private List<String> fill(int n) {
        for (int i = 0; i < n; i++) mam.filter(chat(BOB.toString(), ALICE.toString(), "m" + i), StanzaContext.of(alice));
        return archive.query(ALICE, ArchiveStore.Query.all(1000)).orElseThrow().entries().stream().map(ArchiveStore.Entry::id).toList();
    }

    private Element query(String xml) throws StanzaException {
        alice.received.clear();
        return mam.handle(Iqs.set(alice.jid().toString(), null, parse(xml)), alice);
    }

    private static Element parse(String xml) {
        try {
            return Xml.parse(xml);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private List<String> bodies() {
        return alice.received.stream().map(m -> m.child("result", Mam.NS).orElseThrow().child("forwarded", MamQuery.FORWARD).orElseThrow()
                .child("message", "jabber:client").orElseThrow().child("body", "jabber:client").orElseThrow().text()).toList();
    }

    @Test
    void aReceivedMessageIsArchivedAndStampedWithAStanzaIdAndASpoofedOneIsRemoved() {
        Element spoof = chat(BOB.toString(), ALICE.toString(), "hi").toBuilder()
                .child(Element.builder("stanza-id", Mam.SID).attribute("id", "fake").attribute("by", ALICE.toString()).build()).build();
        Element out = mam.filter(spoof, StanzaContext.of(alice));
        List<Element> ids = out.elements().filter(e -> e.is("stanza-id", Mam.SID)).toList();
        assertThat(ids).singleElement().satisfies(e -> assertThat(e.attribute("id")).isNotEqualTo("fake"));
        String id = ids.getFirst().attribute("id");
        assertThat(archive.last(ALICE)).hasValueSatisfying(e -> {
            assertThat(e.id()).isEqualTo(id);
            assertThat(e.with()).isEqualTo(BOB);
        });
        Element resent = mam.filter(chat(BOB.toString(), ALICE.toString(), "again"), StanzaContext.of(alice).meta(StreamAcks.RESENT, true));
        assertThat(resent.child("stanza-id", Mam.SID)).as("a re-sent message was archived the first time").isEmpty();
    }

    /** XEP-0386 §3: the archive's ends in every Bind 2 <bound/>, read without the stanzas; the session is marked as synchronising from it. */
    @Test
    void bind2GetsTheArchivesEndsAndTheSessionIsMarked() throws Exception {
        assertThat(mam.bound(alice).elements().toList()).as("an empty archive: an empty <metadata/>").isEmpty();
        List<String> ids = fill(3);
        Element m = mam.bound(alice);
        assertThat(m.is("metadata", Mam.NS)).isTrue();
        assertThat(m.child("start", Mam.NS).orElseThrow().attribute("id")).isEqualTo(ids.getFirst());
        assertThat(m.child("end", Mam.NS).orElseThrow().attribute("id")).isEqualTo(ids.getLast());
        assertThat(m.child("end", Mam.NS).orElseThrow().attribute("timestamp")).isEqualTo(archive.last(ALICE).orElseThrow().stamp().toString());
        assertThat(alice.attribute(dev.strata.api.stream.BindExtension.ARCHIVE_SYNC)).isEqualTo(Boolean.TRUE);
    }

    @Test
    void pagesGoForwardAndBackWithRsmAndReportWhetherTheyAreComplete() throws Exception {
        List<String> ids = fill(12);
        Element fin = query("<query xmlns='urn:xmpp:mam:2' queryid='q1'><set xmlns='http://jabber.org/protocol/rsm'><max>5</max></set></query>");
        assertThat(bodies()).containsExactly("m0", "m1", "m2", "m3", "m4");
        assertThat(fin.attribute("complete")).isNull();
        assertThat(alice.received.getFirst().child("result", Mam.NS).orElseThrow().attribute("queryid")).isEqualTo("q1");
        query("<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>5</max><after>" + ids.get(9) + "</after></set></query>");
        assertThat(bodies()).containsExactly("m10", "m11");
        fin = query("<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>3</max><before/></set></query>");
        assertThat(bodies()).as("the newest page, oldest first").containsExactly("m9", "m10", "m11");
        assertThat(fin.child("set", MamQuery.RSM).orElseThrow().child("first", MamQuery.RSM).orElseThrow().text()).isEqualTo(ids.get(9));
        query("<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>3</max><before>" + ids.get(9) + "</before></set></query>");
        assertThat(bodies()).containsExactly("m6", "m7", "m8");
        query("<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>3</max><before/></set><flip-page/></query>");
        assertThat(bodies()).containsExactly("m11", "m10", "m9");
        fin = query("<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>100</max></set></query>");
        assertThat(bodies()).as("max capped by max.page.size").hasSize(12);
        assertThat(fin.attribute("complete")).isEqualTo("true");
    }

    @Test
    void formFieldsFilterByPartnerTimeAndIds() throws Exception {
        List<String> ids = fill(4);
        mam.filter(chat("carol@example.org/x", ALICE.toString(), "from carol"), StanzaContext.of(alice));
        query("<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>"
                + "<field var='with'><value>carol@example.org</value></field></x></query>");
        assertThat(bodies()).containsExactly("from carol");
        query("<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='with'><value>bob@example.org/other</value></field></x></query>");
        assertThat(bodies()).as("a full JID matches that resource only").isEmpty();
        query("<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='ids'><value>" + ids.get(1) + "</value><value>" + ids.get(3)
                + "</value></field></x></query>");
        assertThat(bodies()).containsExactly("m1", "m3");
        query("<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='after-id'><value>" + ids.get(2) + "</value></field>"
                + "<field var='with'><value>bob@example.org</value></field></x></query>");
        assertThat(bodies()).containsExactly("m3");
        query("<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='start'><value>" + Instant.now().plusSeconds(60)
                + "</value></field></x></query>");
        assertThat(bodies()).isEmpty();
    }

    @Test
    void badQueriesGetTheRightErrors() {
        fill(1);
        assertThatThrownBy(() -> query("<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='colour'><value>red</value></field></x></query>"))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.BAD_REQUEST)).hasMessageContaining("colour");
        assertThatThrownBy(() -> query("<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><after>999999</after></set></query>"))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.ITEM_NOT_FOUND));
        assertThatThrownBy(() -> query("<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><after>not-an-id</after></set></query>"))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.ITEM_NOT_FOUND));
        assertThatThrownBy(() -> query("<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='start'><value>yesterday</value></field></x></query>"))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.BAD_REQUEST));
    }

    @Test
    void preferencesDecideWhatIsArchived() throws Exception {
        Element set = mam.handle(Iqs.set(alice.jid().toString(), null, parse(
                "<prefs xmlns='urn:xmpp:mam:2' default='always'><always/><never><jid>spam@example.org</jid></never></prefs>")), alice);
        assertThat(set.attribute("default")).isEqualTo("always");
        mam.filter(chat("spam@example.org/bot", ALICE.toString(), "buy"), StanzaContext.of(alice));
        mam.filter(chat(BOB.toString(), ALICE.toString(), "hello"), StanzaContext.of(alice));
        assertThat(archive.query(ALICE, ArchiveStore.Query.all(10)).orElseThrow().entries()).extracting(e -> e.with().bare().toString())
                .containsExactly("bob@example.org");
        mam.handle(Iqs.set(alice.jid().toString(), null, parse("<prefs xmlns='urn:xmpp:mam:2' default='roster'/>")), alice);
        mam.filter(chat(BOB.toString(), ALICE.toString(), "not in the roster"), StanzaContext.of(alice));
        assertThat(archive.query(ALICE, ArchiveStore.Query.all(10)).orElseThrow().entries()).hasSize(1);
        assertThatThrownBy(() -> mam.handle(Iqs.set(alice.jid().toString(), null, parse("<prefs xmlns='urn:xmpp:mam:2' default='sometimes'/>")), alice))
                .isInstanceOf(StanzaException.class);
    }

    @Test
    void whatIsArchivable() {
        assertThat(Mam.archivable(chat("a@x/1", "b@x", "hi"))).isTrue();
        assertThat(Mam.archivable(chat("a@x/1", "b@x", "hi").toBuilder().attribute("type", "groupchat").build())).isFalse();
        assertThat(Mam.archivable(chat("a@x/1", "b@x", "hi").toBuilder().child(Element.of("no-store", Mam.HINTS)).build())).isFalse();
        Element chatState = Element.builder("message", "jabber:client").attribute("type", "chat").child(Element.of("composing", "http://jabber.org/protocol/chatstates")).build();
        assertThat(Mam.archivable(chatState)).isFalse();
        assertThat(Mam.archivable(chatState.toBuilder().child(Element.of("store", Mam.HINTS)).build())).isTrue();
    }

    @Test
    void anEntryIsReadByIdAndReplacedByATombstoneInItsPlace() {
        List<String> ids = fill(3);
        ArchiveStore.Entry second = archive.get(ALICE, ids.get(1)).orElseThrow();
        assertThat(second.stanza().toXml()).contains("m1");
        Element tomb = Element.builder("message", "jabber:client").attribute("from", BOB.toString())
                .child(Element.builder("retracted", "urn:xmpp:message-retract:1").attribute("stamp", "2026-12-05T00:00:00Z").build()).build();
        assertThat(archive.replace(ALICE, ids.get(1), tomb)).isTrue();
        List<ArchiveStore.Entry> all = archive.query(ALICE, ArchiveStore.Query.all(10)).orElseThrow().entries();
        assertThat(all).extracting(ArchiveStore.Entry::id).containsExactlyElementsOf(ids);
        assertThat(all.get(1).stanza().toXml()).contains("retracted").doesNotContain("m1");
        assertThat(all.get(1).stamp()).isEqualTo(second.stamp());
        assertThat(archive.get(ALICE, "not a number")).isEmpty();
        assertThat(archive.get(Jid.of("carol@example.org"), ids.get(0))).as("another archive's entry").isEmpty();
        assertThat(archive.replace(Jid.of("carol@example.org"), ids.get(0), tomb)).isFalse();
        assertThat(archive.replace(ALICE, "12345678", tomb)).isFalse();
    }
}
