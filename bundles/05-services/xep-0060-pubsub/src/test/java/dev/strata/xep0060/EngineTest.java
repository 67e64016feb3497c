package dev.strata.xep0060;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.roster.RosterItem;
import dev.strata.api.roster.Rosters;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.Xml;
import dev.strata.pubsub.PubSubEngine;
import dev.strata.pubsub.PubSubHost;
import dev.strata.testkit.H2Database;
import dev.strata.testkit.Iqs;
import dev.strata.testkit.RecordingRouter;

class EngineTest {
    static final Jid SERVICE = Jid.of("pubsub.example.org");
    static final String ALICE = "alice@example.org/phone";
    static final String BOB = "bob@example.org/laptop";

    H2Database db;
    RecordingRouter router;
    Engine engine;
    final Map<String, RosterItem> roster = new HashMap<>();

    final PubSubHost host = new PubSubHost() {
        @Override
        public boolean serves(Jid service) {
            return service.equals(SERVICE) || (service.local() != null && service.isBare());
        }

        @Override
        public boolean mayCreate(Jid service, Jid requester) {
            return service.local() == null || service.equals(requester.bare());
        }

        @Override
        public Set<Jid> rosterOwners(Jid service, Set<Jid> owners) {
            return service.local() == null ? owners : Set.of(service);
        }

        @Override
        public boolean isServiceOwner(Jid service, Jid requester) {
            return service.local() != null && service.equals(requester.bare());
        }

        @Override
        public boolean autoCreate() {
            return true;
        }

        @Override
        public Map<String, String> defaults(Jid service, String node) {
            return service.local() == null ? Map.of() : Map.of("pubsub#access_model", "presence", "pubsub#max_items", "1");
        }

        @Override
        public Limits limits() {
            return new Limits(5, 100, 1000);
        }
    };

    @BeforeEach
    void setUp() throws Exception {
        db = new H2Database("pubsub" + System.nanoTime());
        start();
    }

    void start() {
        router = new RecordingRouter();
        engine = new Engine(null, router, new NodeStore(db));
        engine.addHost(host);
        engine.rosters(new Rosters() {
            @Override
            public Optional<RosterItem> item(Jid user, Jid contact) {
                return Optional.ofNullable(roster.get(user + " " + contact));
            }

            @Override
            public List<RosterItem> items(Jid user) {
                return List.of();
            }

            @Override
            public Optional<RosterItem> update(Jid user, Jid contact, UnaryOperator<RosterItem> change) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Optional<RosterItem> remove(Jid user, Jid contact) {
                throw new UnsupportedOperationException();
            }
        });
    }

    @AfterEach
    void tearDown() throws Exception {
        db.close();
    }

    Element set(String from, Jid to, String xml) throws Exception {
        return engine.handle(Iqs.set(from, to.toString(), Xml.parse(xml)), to, Jid.of(from));
    }

    Element get(String from, Jid to, String xml) throws Exception {
        return engine.handle(Iqs.get(from, to.toString(), Xml.parse(xml)), to, Jid.of(from));
    }

    static final String PS = "xmlns='http://jabber.org/protocol/pubsub'";
    static final String OWNER = "xmlns='http://jabber.org/protocol/pubsub#owner'";

    static void refused(ThrowingRunnable r, StanzaError error, String condition) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(StanzaException.class, e -> {
            assertThat(e.error()).isEqualTo(error);
            if (condition != null) assertThat(e.specific()).isNotNull().satisfies(s -> assertThat(s.name()).isEqualTo(condition));
        });
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void publishesRetrievesAndRetractsItemsTrimmedToMaxItems() throws Exception {
        set(ALICE, SERVICE, "<pubsub " + PS + "><create node='news'/><configure><x xmlns='jabber:x:data' type='submit'>"
                + "<field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#node_config</value></field>"
                + "<field var='pubsub#max_items'><value>2</value></field></x></configure></pubsub>");
        Element r = set(ALICE, SERVICE, "<pubsub " + PS + "><publish node='news'><item><entry xmlns='urn:test'>one</entry></item></publish></pubsub>");
        String assigned = r.child("publish", PubSubEngine.NS).orElseThrow().child("item", PubSubEngine.NS).orElseThrow().attribute("id");
        assertThat(assigned).isNotBlank();
        set(ALICE, SERVICE, "<pubsub " + PS + "><publish node='news'><item id='b'><entry xmlns='urn:test'>two</entry></item></publish></pubsub>");
        set(ALICE, SERVICE, "<pubsub " + PS + "><publish node='news'><item id='c'><entry xmlns='urn:test'>three</entry></item></publish></pubsub>");
        Element items = get(BOB, SERVICE, "<pubsub " + PS + "><items node='news'/></pubsub>");
        assertThat(ids(items)).containsExactly("b", "c");
        assertThat(ids(get(BOB, SERVICE, "<pubsub " + PS + "><items node='news' max_items='1'/></pubsub>"))).containsExactly("c");
        refused(() -> set(BOB, SERVICE, "<pubsub " + PS + "><retract node='news'><item id='b'/></retract></pubsub>"), StanzaError.FORBIDDEN, null);
        set(ALICE, SERVICE, "<pubsub " + PS + "><retract node='news'><item id='b'/></retract></pubsub>");
        refused(() -> set(ALICE, SERVICE, "<pubsub " + PS + "><retract node='news'><item id='b'/></retract></pubsub>"), StanzaError.ITEM_NOT_FOUND, null);
        assertThat(engine.nodes(SERVICE)).singleElement().satisfies(n -> assertThat(n.items()).isEqualTo(1));

        start(); // a new revision of the module reads the same tables
        assertThat(ids(get(BOB, SERVICE, "<pubsub " + PS + "><items node='news'/></pubsub>"))).containsExactly("c");
        assertThat(engine.nodes(SERVICE)).singleElement().satisfies(n -> assertThat(n.owners()).containsExactly(Jid.of("alice@example.org")));
    }

    static List<String> ids(Element pubsub) {
        return pubsub.child("items", PubSubEngine.NS).orElseThrow().elements().map(e -> e.attribute("id")).toList();
    }

    @Test
    void badInputGetsTheErrorOfTheSpec() throws Exception {
        set(ALICE, SERVICE, "<pubsub " + PS + "><create node='n'/></pubsub>");
        refused(() -> set(ALICE, SERVICE, "<pubsub " + PS + "><create node='n'/></pubsub>"), StanzaError.CONFLICT, null);
        refused(() -> set(BOB, SERVICE, "<pubsub " + PS + "><publish node='n'><item><x xmlns='urn:t'/></item></publish></pubsub>"), StanzaError.FORBIDDEN, null);
        refused(() -> set(ALICE, SERVICE, "<pubsub " + PS + "><publish node='n'><item><x xmlns='urn:t'>" + "y".repeat(2000) + "</x></item></publish></pubsub>"),
                StanzaError.NOT_ACCEPTABLE, "payload-too-big");
        refused(() -> set(ALICE, SERVICE, "<pubsub " + PS + "><publish node='n'><item><x xmlns='urn:t'/><y xmlns='urn:t'/></item></publish></pubsub>"),
                StanzaError.BAD_REQUEST, "invalid-payload");
        refused(() -> set(ALICE, SERVICE, "<pubsub " + PS + "><publish node='n'/></pubsub>"), StanzaError.BAD_REQUEST, "item-required");
        refused(() -> set(ALICE, SERVICE, "<pubsub " + PS + "><publish/></pubsub>"), StanzaError.BAD_REQUEST, "nodeid-required");
        refused(() -> set(ALICE, SERVICE, "<pubsub " + OWNER + "><configure node='n'><x xmlns='jabber:x:data' type='submit'>"
                + "<field var='pubsub#colour'><value>red</value></field></x></configure></pubsub>"), StanzaError.BAD_REQUEST, null);
        refused(() -> set(ALICE, SERVICE, "<pubsub " + OWNER + "><configure node='n'><x xmlns='jabber:x:data' type='submit'>"
                + "<field var='pubsub#access_model'><value>everyone</value></field></x></configure></pubsub>"), StanzaError.BAD_REQUEST, null);
        refused(() -> set(BOB, SERVICE, "<pubsub " + PS + "><subscribe node='n' jid='alice@example.org'/></pubsub>"), StanzaError.BAD_REQUEST, "invalid-jid");
        refused(() -> set(BOB, SERVICE, "<pubsub " + PS + "><unsubscribe node='n' jid='" + BOB + "'/></pubsub>"), StanzaError.UNEXPECTED_REQUEST, "not-subscribed");
        refused(() -> get(BOB, SERVICE, "<pubsub " + PS + "><items node='nope'/></pubsub>"), StanzaError.ITEM_NOT_FOUND, null);
        refused(() -> get(BOB, SERVICE, "<pubsub " + OWNER + "><configure node='n'/></pubsub>"), StanzaError.FORBIDDEN, null);
        for (int i = 0; i < 4; i++) set(ALICE, SERVICE, "<pubsub " + PS + "><create node='m" + i + "'/></pubsub>");
        refused(() -> set(ALICE, SERVICE, "<pubsub " + PS + "><create node='one-too-many'/></pubsub>"), StanzaError.POLICY_VIOLATION, "max-nodes-exceeded");
    }

    @Test
    void transientNotificationOnlyNodesTakeNoItem() throws Exception {
        set(ALICE, SERVICE, "<pubsub " + PS + "><create node='t'/><configure><x xmlns='jabber:x:data' type='submit'>"
                + "<field var='pubsub#persist_items'><value>0</value></field><field var='pubsub#deliver_payloads'><value>false</value></field>"
                + "</x></configure></pubsub>");
        set(BOB, SERVICE, "<pubsub " + PS + "><subscribe node='t' jid='" + BOB + "'/></pubsub>");
        refused(() -> set(ALICE, SERVICE, "<pubsub " + PS + "><publish node='t'><item id='1'/></publish></pubsub>"), StanzaError.BAD_REQUEST, "item-forbidden");
        set(ALICE, SERVICE, "<pubsub " + PS + "><publish node='t'/></pubsub>");
        assertThat(router.delivered).singleElement().satisfies(m -> {
            assertThat(m.attribute("to")).isEqualTo(BOB);
            assertThat(m.child("event", PubSubEngine.NS_EVENT).orElseThrow().child("items", PubSubEngine.NS_EVENT).orElseThrow().attribute("node")).isEqualTo("t");
        });
    }

    @Test
    void subscribersHearOfPublishesAndGetTheLastItemWhenTheySubscribe() throws Exception {
        set(ALICE, SERVICE, "<pubsub " + PS + "><create node='n'/></pubsub>");
        set(ALICE, SERVICE, "<pubsub " + PS + "><publish node='n'><item id='1'><x xmlns='urn:t'>first</x></item></publish></pubsub>");
        Element sub = set(BOB, SERVICE, "<pubsub " + PS + "><subscribe node='n' jid='bob@example.org'/></pubsub>");
        assertThat(sub.child("subscription", PubSubEngine.NS).orElseThrow().attribute("subscription")).isEqualTo("subscribed");
        assertThat(router.delivered).singleElement().satisfies(m -> {
            assertThat(m.attribute("to")).isEqualTo("bob@example.org");
            assertThat(m.toXml()).contains("first");
        });
        router.delivered.clear();
        set(ALICE, SERVICE, "<pubsub " + PS + "><publish node='n'><item id='2'><x xmlns='urn:t'>second</x></item></publish></pubsub>");
        assertThat(router.delivered).singleElement().satisfies(m -> {
            assertThat(m.attribute("type")).isEqualTo("headline");
            assertThat(m.toXml()).contains("second");
        });
        router.delivered.clear();
        set(ALICE, SERVICE, "<pubsub " + PS + "><retract node='n' notify='true'><item id='2'/></retract></pubsub>");
        assertThat(router.delivered).singleElement().satisfies(m -> assertThat(m.toXml()).contains("retract"));
        router.delivered.clear();
        set(ALICE, SERVICE, "<pubsub " + OWNER + "><delete node='n'><redirect uri='xmpp:pubsub.example.org?;node=m'/></delete></pubsub>");
        assertThat(router.delivered).singleElement().satisfies(m -> assertThat(m.toXml()).contains("delete", "redirect"));
    }

    @Test
    void accessModelsDecideWhoReads() throws Exception {
        Jid alice = Jid.of("alice@example.org");
        set(ALICE, alice, "<pubsub " + PS + "><publish node='mood'><item><mood xmlns='http://jabber.org/protocol/mood'><happy/></mood></item></publish></pubsub>");
        refused(() -> get(BOB, alice, "<pubsub " + PS + "><items node='mood'/></pubsub>"), StanzaError.NOT_AUTHORIZED, "presence-subscription-required");
        roster.put("alice@example.org bob@example.org", new RosterItem(Jid.of("bob@example.org"), null, RosterItem.Subscription.FROM, false, false, List.of("friends")));
        assertThat(ids(get(BOB, alice, "<pubsub " + PS + "><items node='mood'/></pubsub>"))).hasSize(1);
        set(ALICE, alice, "<pubsub " + OWNER + "><configure node='mood'><x xmlns='jabber:x:data' type='submit'>"
                + "<field var='pubsub#access_model'><value>roster</value></field><field var='pubsub#roster_groups_allowed'><value>family</value></field></x></configure></pubsub>");
        refused(() -> get(BOB, alice, "<pubsub " + PS + "><items node='mood'/></pubsub>"), StanzaError.NOT_AUTHORIZED, "not-in-roster-group");
        set(ALICE, alice, "<pubsub " + OWNER + "><configure node='mood'><x xmlns='jabber:x:data' type='submit'>"
                + "<field var='pubsub#access_model'><value>whitelist</value></field></x></configure></pubsub>");
        refused(() -> get(BOB, alice, "<pubsub " + PS + "><items node='mood'/></pubsub>"), StanzaError.NOT_ALLOWED, "closed-node");
        set(ALICE, alice, "<pubsub " + OWNER + "><affiliations node='mood'><affiliation jid='bob@example.org' affiliation='member'/></affiliations></pubsub>");
        assertThat(ids(get(BOB, alice, "<pubsub " + PS + "><items node='mood'/></pubsub>"))).hasSize(1);
        refused(() -> set(BOB, alice, "<pubsub " + PS + "><publish node='other'><item><x xmlns='urn:t'/></item></publish></pubsub>"), StanzaError.FORBIDDEN, null);
    }

    @Test
    void publishOptionsArePreconditionsOrTheNewNodesConfiguration() throws Exception {
        Jid alice = Jid.of("alice@example.org");
        String open = "<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
                + "<value>http://jabber.org/protocol/pubsub#publish-options</value></field><field var='pubsub#access_model'><value>open</value></field></x></publish-options>";
        set(ALICE, alice, "<pubsub " + PS + "><publish node='eu.siacs.conversations.axolotl.devicelist'><item id='current'><list xmlns='eu.siacs.conversations.axolotl'>"
                + "<device id='1'/></list></item></publish>" + open + "</pubsub>");
        assertThat(ids(get(BOB, alice, "<pubsub " + PS + "><items node='eu.siacs.conversations.axolotl.devicelist'/></pubsub>"))).containsExactly("current");
        set(ALICE, alice, "<pubsub " + PS + "><publish node='private'><item><x xmlns='urn:t'/></item></publish></pubsub>");
        refused(() -> set(ALICE, alice, "<pubsub " + PS + "><publish node='private'><item><x xmlns='urn:t'/></item></publish>" + open + "</pubsub>"),
                StanzaError.CONFLICT, "precondition-not-met");
        Element form = get(ALICE, alice, "<pubsub " + OWNER + "><configure node='private'/></pubsub>");
        assertThat(DataForm.value(form.elements().findFirst().orElseThrow().child("x", DataForm.NS).orElseThrow(), "pubsub#access_model")).contains("presence");
    }

    @Test
    void theHostNamesWhoElseHears() throws Exception {
        Jid alice = Jid.of("alice@example.org");
        List<Jid> asked = new ArrayList<>();
        PubSubHost pep = new PubSubHost() {
            @Override public boolean serves(Jid s) { return host.serves(s); }
            @Override public boolean mayCreate(Jid s, Jid r) { return host.mayCreate(s, r); }
            @Override public Set<Jid> rosterOwners(Jid s, Set<Jid> o) { return host.rosterOwners(s, o); }
            @Override public boolean isServiceOwner(Jid s, Jid r) { return host.isServiceOwner(s, r); }
            @Override public boolean autoCreate() { return true; }
            @Override public Map<String, String> defaults(Jid s, String n) { return host.defaults(s, n); }
            @Override public Limits limits() { return host.limits(); }

            @Override
            public java.util.Collection<Jid> interested(Jid s, String n, java.util.function.Predicate<Jid> mayRead,
                    java.util.function.Consumer<java.util.Collection<Jid>> later) {
                for (Jid j : List.of(Jid.of(BOB), Jid.of("carol@example.org/x"))) if (mayRead.test(j)) asked.add(j);
                return asked;
            }
        };
        engine = new Engine(null, router, new NodeStore(db));
        engine.addHost(pep);
        engine.rosters(null);
        set(ALICE, alice, "<pubsub " + PS + "><publish node='tune'><item><tune xmlns='http://jabber.org/protocol/tune'/></item></publish></pubsub>");
        assertThat(asked).isEmpty(); // presence access, no roster: nobody may read
        set(ALICE, alice, "<pubsub " + OWNER + "><configure node='tune'><x xmlns='jabber:x:data' type='submit'>"
                + "<field var='pubsub#access_model'><value>open</value></field></x></configure></pubsub>");
        set(ALICE, alice, "<pubsub " + PS + "><publish node='tune'><item><tune xmlns='http://jabber.org/protocol/tune'/></item></publish></pubsub>");
        assertThat(router.delivered).extracting(m -> m.attribute("to")).containsExactly(BOB, "carol@example.org/x");
        assertThat(router.delivered).allSatisfy(m -> assertThat(m.attribute("from")).isEqualTo("alice@example.org"));
    }
}
