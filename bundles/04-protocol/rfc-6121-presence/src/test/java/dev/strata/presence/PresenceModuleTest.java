package dev.strata.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.roster.RosterItem;
import dev.strata.api.roster.RosterItem.Subscription;
import dev.strata.api.xml.Element;
import dev.strata.roster.Roster;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeRegistry;
import dev.strata.testkit.FakeServer;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.MemoryAccounts;
import dev.strata.testkit.MemoryStore;
import dev.strata.testkit.RecordingRouter;

/** RFC 6121 §3 subscriptions (Appendix A states), §3.4 pre-approval, §4 broadcast and probes, between two local accounts. */
class PresenceModuleTest {
    static final Jid ALICE = Jid.of("alice@example.org"), BOB = Jid.of("bob@example.org");
    final MemoryStore store = new MemoryStore();
    final FakeRegistry registry = new FakeRegistry();
    final RecordingRouter router = new RecordingRouter();
    final Roster rosters = new Roster(Configs.defaults(Roster.Config.class), store, new dev.strata.roster.RosterCache());
    final PresenceModule presence = new PresenceModule(store, new MemoryAccounts().with("alice@example.org", "bob@example.org", "carol@example.org"), FakeServer.of("example.org"));
    final FakeSession alice = registry.add(new FakeSession("alice@example.org/phone"));
    final FakeSession bob = registry.add(new FakeSession("bob@example.org/pc"));
    final FakeSession carol = registry.add(new FakeSession("carol@example.org/tablet"));

    @BeforeEach
    void wire() throws ReflectiveOperationException {
        for (Map.Entry<String, Object> e : Map.<String, Object>of("rosters", rosters, "router", router, "sessions", registry).entrySet()) {
            Field f = PresenceModule.class.getDeclaredField(e.getKey()); // dynamic DS references
            f.setAccessible(true);
            f.set(presence, e.getValue());
        }
    }

    static Element p(FakeSession from, String to, String type) {
        Element.Builder b = Element.builder("presence", "jabber:client").attribute("from", from.jid().toString());
        if (to != null) b.attribute("to", to);
        if (type != null) b.attribute("type", type);
        return b.build();
    }

    String state(Jid user, Jid contact) {
        return rosters.item(user, contact).map(i -> i.subscription() + (i.ask() ? "+ask" : "") + (i.approved() ? "+approved" : "")).orElse("-");
    }

    List<String> delivered() {
        return router.delivered.stream().map(e -> e.attribute("from") + ">" + e.attribute("to") + ":" + e.attribute("type")).toList();
    }

    @Test
    void aSubscriptionRequestApprovedThenCancelledMovesBothRostersThroughAppendixA() {
        presence.handle(p(bob, null, null), bob); // bob is online, with no contacts yet
        router.delivered.clear();
        presence.handle(p(alice, "bob@example.org", "subscribe"), alice);
        assertThat(state(ALICE, BOB)).isEqualTo("NONE+ask"); // §3.1.2: None + Pending Out
        assertThat(store.keys(BOB, "roster-pending")).containsExactly("alice@example.org"); // §3.1.3: kept until answered
        assertThat(delivered()).containsExactly("alice@example.org>bob@example.org:subscribe");

        router.delivered.clear();
        presence.handle(p(bob, "alice@example.org", "subscribed"), bob);
        assertThat(state(BOB, ALICE)).isEqualTo("FROM"); // §3.1.5
        assertThat(state(ALICE, BOB)).isEqualTo("TO"); // §3.1.6
        assertThat(delivered()).containsExactly("bob@example.org>alice@example.org:subscribed", "bob@example.org/pc>alice@example.org:null");
        assertThat(store.keys(BOB, "roster-pending")).isEmpty();

        router.delivered.clear();
        presence.handle(p(alice, "bob@example.org", "unsubscribe"), alice);
        assertThat(state(ALICE, BOB)).isEqualTo("NONE");
        assertThat(state(BOB, ALICE)).isEqualTo("NONE"); // §3.3.3
        assertThat(delivered()).containsExactly("alice@example.org>bob@example.org:unsubscribe", "bob@example.org/pc>alice@example.org:unavailable");
    }

    @Test
    void aDeletedAccountLeavesEveryContactsRosterAndItsRequestsGoWithIt() throws ReflectiveOperationException {
        presence.handle(p(alice, "bob@example.org", "subscribe"), alice);
        presence.handle(p(bob, "alice@example.org", "subscribed"), bob);
        presence.handle(p(bob, "alice@example.org", "subscribe"), bob);
        presence.handle(p(alice, "bob@example.org", "subscribed"), alice);
        presence.handle(p(carol, "alice@example.org", "subscribe"), carol); // waiting on alice
        presence.handle(p(alice, null, null), alice);
        assertThat(state(BOB, ALICE)).isEqualTo("BOTH");
        assertThat(state(Jid.of("carol@example.org"), ALICE)).isEqualTo("NONE+ask");
        router.delivered.clear();

        DeletedAccountContacts deletion = new DeletedAccountContacts(store, FakeServer.of("example.org"));
        for (Map.Entry<String, Object> e : Map.<String, Object>of("rosters", rosters, "router", router, "sessions", registry).entrySet()) {
            Field f = DeletedAccountContacts.class.getDeclaredField(e.getKey());
            f.setAccessible(true);
            f.set(deletion, e.getValue());
        }
        deletion.deleting(ALICE);

        assertThat(state(BOB, ALICE)).as("bob's roster forgets alice").isEqualTo("-");
        assertThat(state(Jid.of("carol@example.org"), ALICE)).isEqualTo("-");
        assertThat(store.keys(ALICE, "roster-pending")).containsExactly("carol@example.org"); // deleted with the account itself
        assertThat(delivered()).containsExactly("alice@example.org/phone>bob@example.org:unavailable",
                "alice@example.org>bob@example.org:unsubscribe", "alice@example.org>bob@example.org:unsubscribed",
                "alice@example.org>carol@example.org:unsubscribed");
        assertThat(alice.attribute(dev.strata.api.stanza.Presence.ATTRIBUTE)).as("no last logout is recorded for the name").isNull();
    }

    @Test
    void aPreApprovedRequestIsAnsweredOnTheContactsBehalf() {
        presence.handle(p(bob, "alice@example.org", "subscribed"), bob); // §3.4: no request pending: a pre-approval
        assertThat(state(BOB, ALICE)).isEqualTo("NONE+approved");
        assertThat(router.delivered).isEmpty();
        presence.handle(p(alice, "bob@example.org", "subscribe"), alice);
        assertThat(state(BOB, ALICE)).isEqualTo("FROM");
        assertThat(state(ALICE, BOB)).isEqualTo("TO");
        assertThat(delivered()).containsExactly("bob@example.org>alice@example.org:subscribed");
    }

    @Test
    void initialPresenceGoesToSubscribersAndOwnResourcesAndProbesTheContacts() {
        rosters.update(ALICE, BOB, it -> RosterItem.of(BOB).withState(Subscription.BOTH, false, false));
        rosters.update(BOB, ALICE, it -> RosterItem.of(ALICE).withState(Subscription.BOTH, false, false));
        presence.handle(p(bob, null, null), bob);
        router.delivered.clear();
        bob.received.clear();
        presence.handle(p(alice, null, null), alice);
        assertThat(delivered()).as("§4.2.2 to the subscriber; §4.3.2 the probe of bob answered with his presence")
                .containsExactlyInAnyOrder("alice@example.org/phone>bob@example.org:null", "bob@example.org/pc>alice@example.org/phone:null");
        assertThat(alice.received).as("§4.2.2: the sender's own resource gets it too").hasSize(1);
    }

    @Test
    void aPriorityOutOfRangeIsABadRequest() {
        presence.handle(Element.builder("presence", "jabber:client").attribute("from", alice.jid().toString())
                .child(Element.builder("priority", "jabber:client").text("300").build()).build(), alice);
        assertThat(alice.received.getFirst().toXml()).contains("bad-request", "-128 to 127");
        assertThat(alice.attribute(dev.strata.api.stanza.Presence.ATTRIBUTE)).isNull();
    }
}
