package dev.strata.roster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.strata.api.Jid;
import dev.strata.api.roster.RosterFullException;
import dev.strata.api.roster.RosterItem;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeRegistry;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;
import dev.strata.testkit.MemoryStore;

/** RFC 6121 §2: roster get, set, remove, pushes to interested resources, versioning, and the refusals of §2.3.3. */
class RosterTest {
    final FakeRegistry registry = new FakeRegistry();
    final Roster roster = new Roster(Configs.of(Roster.Config.class, Map.of("max.items", 3, "max.name.length", 20)), new MemoryStore(), new RosterCache());
    final FakeSession phone = registry.add(new FakeSession("alice@example.org/phone"));
    final FakeSession laptop = registry.add(new FakeSession("alice@example.org/laptop"));

    @BeforeEach
    void wire() throws ReflectiveOperationException {
        Field f = Roster.class.getDeclaredField("sessions"); // a dynamic DS reference
        f.setAccessible(true);
        f.set(roster, registry);
    }

    static Element query(Element item) {
        return Element.builder("query", Roster.NS).child(item).build();
    }

    static Element item(String jid, String name, String... groups) {
        Element.Builder b = Element.builder("item", Roster.NS).attribute("jid", jid);
        if (name != null) b.attribute("name", name);
        for (String g : groups) b.child(Element.builder("group", Roster.NS).text(g).build());
        return b.build();
    }

    Element get(FakeSession s, String ver) throws StanzaException {
        Element.Builder q = Element.builder("query", Roster.NS);
        if (ver != null) q.attribute("ver", ver);
        return roster.handle(Iqs.get(s.jid().toString(), null, q.build()), s);
    }

    @Test
    void aSetIsPushedToEveryInterestedResourceAndVersioned() throws StanzaException {
        Element empty = get(phone, null); // phone asked for the roster: interested (§2.1.6); laptop did not
        assertThat(empty.attribute("ver")).isEqualTo("0");
        roster.handle(Iqs.set(phone.jid().toString(), null, query(item("bob@example.org", "Bob", "Friends"))), phone);
        assertThat(phone.received).hasSize(1);
        assertThat(laptop.received).isEmpty();
        Element push = phone.received.getFirst();
        assertThat(push.attribute("type")).isEqualTo("set");
        assertThat(push.toXml()).contains("ver=\"1\"", "jid=\"bob@example.org\"", "subscription=\"none\"", "<group>Friends</group>");
        assertThat(get(phone, "1")).as("§2.6.3: the client is current: an empty result").isNull();
        assertThat(get(phone, "0").elements().count()).isEqualTo(1);

        roster.handle(Iqs.set(phone.jid().toString(), null,
                query(Element.builder("item", Roster.NS).attribute("jid", "bob@example.org").attribute("subscription", "remove").build())), phone);
        assertThat(phone.received.getLast().toXml()).contains("subscription=\"remove\"", "ver=\"2\"");
        assertThat(roster.items(Jid.of("alice@example.org"))).isEmpty();
    }

    @Test
    void theClientCannotSetASubscription() throws StanzaException {
        Element forged = Element.builder("item", Roster.NS).attribute("jid", "bob@example.org").attribute("subscription", "both").build();
        roster.handle(Iqs.set(phone.jid().toString(), null, query(forged)), phone);
        assertThat(roster.item(Jid.of("alice@example.org"), Jid.of("bob@example.org")).orElseThrow().subscription())
                .isEqualTo(RosterItem.Subscription.NONE);
    }

    /** Columns: the item, the error. */
    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of(item("bob@example.org", null, "A", "A"), StanzaError.BAD_REQUEST), // a group twice
                Arguments.of(item("bob@example.org", null, ""), StanzaError.NOT_ACCEPTABLE), // an empty group
                Arguments.of(item("bob@example.org", "x".repeat(21)), StanzaError.NOT_ACCEPTABLE), // a name too long
                Arguments.of(Element.builder("item", Roster.NS).build(), StanzaError.BAD_REQUEST), // no jid
                Arguments.of(item("not a jid@@", null), StanzaError.JID_MALFORMED),
                Arguments.of(Element.builder("item", Roster.NS).attribute("jid", "nobody@example.org").attribute("subscription", "remove").build(),
                        StanzaError.ITEM_NOT_FOUND)); // §2.5.3
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("refusals")
    void refusesWhatRfc6121Refuses(Element item, StanzaError error) {
        assertThatThrownBy(() -> roster.handle(Iqs.set(phone.jid().toString(), null, query(item)), phone))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(error));
    }

    @Test
    void aFullRosterRefusesNewContactsButUpdatesOldOnes() throws StanzaException {
        for (String c : new String[] {"a@example.org", "b@example.org", "c@example.org"}) {
            roster.handle(Iqs.set(phone.jid().toString(), null, query(item(c, null))), phone);
        }
        assertThatThrownBy(() -> roster.handle(Iqs.set(phone.jid().toString(), null, query(item("d@example.org", null))), phone))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.NOT_ALLOWED));
        roster.handle(Iqs.set(phone.jid().toString(), null, query(item("a@example.org", "Ann"))), phone);
        assertThat(roster.item(Jid.of("alice@example.org"), Jid.of("a@example.org")).orElseThrow().name()).isEqualTo("Ann");
    }

    @Test
    void noPathAddsAnItemToAFullRoster() throws StanzaException {
        Jid alice = Jid.of("alice@example.org");
        for (String c : new String[] {"a@example.org", "b@example.org", "c@example.org"}) {
            roster.handle(Iqs.set(phone.jid().toString(), null, query(item(c, null))), phone);
        }
        // what the presence module does for an outbound <presence type='subscribe'/> to a new contact
        assertThatThrownBy(() -> roster.update(alice, Jid.of("d@example.org"), it -> it == null ? RosterItem.of(Jid.of("d@example.org")) : it))
                .isInstanceOf(RosterFullException.class).hasMessage("The roster of alice@example.org is full (3 contacts)");
        assertThat(roster.items(alice)).hasSize(3);
        roster.update(alice, Jid.of("a@example.org"), it -> it.withState(it.subscription(), true, it.approved()));
        assertThat(roster.item(alice, Jid.of("a@example.org")).orElseThrow().ask()).as("an existing item still changes").isTrue();
    }
}
